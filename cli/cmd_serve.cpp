// chunkbench serve: the embedded TLS chunk-store server (h2 + HTTP/1.1 on one port).
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <sstream>

#include "args.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/server/server.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {
namespace {

double probability(const Args& a, const std::string& name) { return fraction_option(a, name, 0); }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// Where a CA without --ca-out lives: per user and reused, in the session's private runtime directory
// when there is one (tmpfs, gone at logout), else in the user's cache. Empty: no home at all.
std::string default_ca_dir() {
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v && *v == '/' ? v : "");
  };
  if (auto run = env("XDG_RUNTIME_DIR"); !run.empty()) return run + "/chunkbench";
  if (auto cache = env("XDG_CACHE_HOME"); !cache.empty()) return cache + "/chunkbench";
  if (auto home = env("HOME"); !home.empty()) return home + "/.cache/chunkbench";
  return {};
}


}  // namespace

int run_serve(int argc, char** argv) {
  Args a("serve", "--root DIR [--listen ADDR:PORT] [--cert F --key F | --ca-out F | --ca-dir D] [OPTIONS]",
         "Serve DIR over HTTPS on one port; ALPN picks h2 (nghttp2) or http/1.1 (http-parser), both in front of\n"
         "the same file service: GET and HEAD, byte ranges per RFC 9110 (206; 416 when no range is satisfiable;\n"
         "an invalid Range or disjoint ranges get the whole file; HEAD ignores Range), If-Range, ETag,\n"
         "Last-Modified; paths may not leave DIR ('..', absolute paths and escaping symlinks are refused).\n"
         "Without --cert/--key the server certificate (127.0.0.1/::1/localhost) is signed by a per-user CA kept\n"
         "in --ca-dir and reused by every run, or by a fresh CA written to --ca-out; clients keep verification\n"
         "on. TLS records start at one segment and grow to 16 KiB after 1 MiB (--tls-records).\n"
         "Live counters: GET /.well-known/chunkbench-stats (JSON, schema chunkbench.serve-stats/1).\n"
         "SIGINT/SIGTERM stop the server cleanly (h2 GOAWAY, --stats written).");
  a.option("root", 'r', "DIR", "directory to serve (required)")
      .option("listen", 'l', "ADDR:PORT", "address to listen on; port 0 picks a free port (default 127.0.0.1:0)")
      .option("cert", 0, "FILE", "PEM certificate chain (with --key)")
      .option("key", 0, "FILE", "PEM private key (with --cert)")
      .option("ca-out", 0, "FILE", "generate a fresh CA for this run and write its certificate here")
      .option("ca-dir", 0, "DIR", "per-user CA reused by every run: DIR/ca.pem (default $XDG_RUNTIME_DIR/chunkbench)")
      .option("port-file", 0, "FILE", "write the bound port here once listening (for --listen ...:0)")
      .option("protocols", 0, "LIST", "ALPN protocols offered, preferred first (default h2,http/1.1)")
      .option("threads", 't', "N", "event loops on SO_REUSEPORT sockets (default 1)")
      .option("max-concurrent-streams", 0, "N", "h2 SETTINGS_MAX_CONCURRENT_STREAMS (default 256)")
      .option("h2-window", 0, "SIZE", "h2 SETTINGS_INITIAL_WINDOW_SIZE (server receive side; default 65535)")
      .option("h2-connection-window", 0, "SIZE", "h2 connection receive window (default 65535)")
      .flag("no-rfc7540-priorities", 0, "send SETTINGS_NO_RFC7540_PRIORITIES=1: streams served one after another")
      .option("sndbuf", 0, "SIZE", "SO_SNDBUF per connection (disables send autotuning; default unset)")
      .option("notsent-lowat", 0, "SIZE", "TCP_NOTSENT_LOWAT per connection (default unset)")
      .option("congestion", 0, "NAME", "TCP_CONGESTION per connection, e.g. cubic, bbr (default: system)")
      .option("tls-records", 0, "MODE", "dynamic (default: 1360 B records for 1 MiB and after 1 s idle) or max (16 KiB)")
      .option("stats", 0, "FILE", "write the counters as JSON here at shutdown")
      .option("response-delay", 0, "MS", "hold every response back MS milliseconds (or a duration: 5ms, 0.2s) before its headers")
      .option("slow-body", 0, "RATE", "pace every response body at this rate (bytes/s: 64K = 64000, or 1mbit)")
      .option("fault-5xx", 0, "SUBSTRING", "answer 503 to paths containing SUBSTRING (rate: --fault-5xx-rate, default 1)")
      .option("fault-5xx-rate", 0, "P", "probability of a 503 (for all paths unless --fault-5xx is given)")
      .option("fault-reset-rate", 0, "P", "probability of a reset half-way through a body (h2 RST_STREAM, h1 TCP RST)")
      .option("fault-stall-rate", 0, "P", "probability that a body stops half-way and the stream stays silent")
      .option("fault-corrupt-rate", 0, "P", "probability that one body byte is flipped (length unchanged)")
      .option("fault-seed", 0, "N", "seed of the fault draws (default 1; reproducible with --threads 1)")
      .flag("quiet", 'q', "print nothing but errors");
  if (!a.parse(argc, argv)) return 0;
  a.expect_positionals({});

  server::Options o;
  o.root = a.get("root");
  o.listen = a.get("listen", o.listen);
  o.cert_file = a.get("cert");
  o.key_file = a.get("key");
  o.ca_out = a.get("ca-out");
  o.ca_dir = a.get("ca-dir", default_ca_dir());
  if (a.has("protocols")) o.protocols = split_list(a.get("protocols"));
  o.threads = static_cast<unsigned>(a.get_int("threads", 1, 1, 256));
  o.max_concurrent_streams = static_cast<std::uint32_t>(a.get_int("max-concurrent-streams", 256, 1, 1 << 20));
  o.h2_window = static_cast<std::uint32_t>(size_option(a, "h2-window", 0, (1LL << 31) - 1));
  o.h2_connection_window = static_cast<std::uint32_t>(size_option(a, "h2-connection-window", 0, (1LL << 31) - 1));
  o.no_rfc7540_priorities = a.has("no-rfc7540-priorities");
  o.sndbuf = static_cast<int>(size_option(a, "sndbuf", 0, 1 << 30));
  o.notsent_lowat = static_cast<int>(size_option(a, "notsent-lowat", 0, 1 << 30));
  o.congestion = a.get("congestion");
  const std::string records = a.get("tls-records", "dynamic");
  if (records != "dynamic" && records != "max")
    throw Error(Errc::usage, "serve: --tls-records is dynamic or max, got '" + records + "'");
  o.tls_records.dynamic = records == "dynamic";
  const double delay = duration_option(a, "response-delay", 0, 1e-3);  // a bare number is milliseconds
  if (delay > 3600) throw Error(Errc::usage, "--response-delay: " + a.get("response-delay") + " is more than an hour");
  o.faults.response_delay_ms = static_cast<std::uint32_t>(std::llround(delay * 1e3));
  const double slow = rate_option(a, "slow-body", 0);
  if (slow > 1e12) throw Error(Errc::usage, "--slow-body: " + a.get("slow-body") + " is more than 1 TB/s");
  o.faults.slow_body_bps = static_cast<std::uint64_t>(slow);
  o.faults.fail_path_substring = a.get("fault-5xx");
  o.faults.fail_rate = probability(a, "fault-5xx-rate");
  o.faults.reset_rate = probability(a, "fault-reset-rate");
  o.faults.stall_rate = probability(a, "fault-stall-rate");
  o.faults.corrupt_rate = probability(a, "fault-corrupt-rate");
  o.faults.seed = static_cast<std::uint64_t>(a.get_int("fault-seed", 1, 0, (1LL << 62)));
  const bool quiet = a.has("quiet");
  const std::string stats_file = a.get("stats");
  const std::string port_file = a.get("port-file");

  server::Server srv(o);
  srv.catch_signals();  // before the port file: a test may signal as soon as it sees the port
  if (!quiet) {
    std::string protocols;
    for (const auto& p : o.protocols) protocols += (protocols.empty() ? "" : ",") + p;
    std::printf("chunkbench serve: listening on %s (root %s, protocols %s, threads %u)\n", srv.url().c_str(),
                o.root.c_str(), protocols.c_str(), o.threads);
    if (!srv.ca_file().empty())
      std::printf("chunkbench serve: CA certificate %s (clients: curl --cacert, chunkbench extract --ca)\n",
                  srv.ca_file().c_str());
    else if (o.cert_file.empty())
      std::printf("chunkbench serve: the CA lives in memory only (no --ca-out, --ca-dir or $HOME): clients cannot verify\n");
    std::fflush(stdout);
  }
  // Written after the CA, so a client that sees the port can already trust the certificate.
  if (!port_file.empty()) write_text_file(port_file, std::to_string(srv.port()) + "\n");
  srv.run(true);
  if (!stats_file.empty()) write_text_file(stats_file, srv.stats_json());
  if (!quiet) {
    std::printf("chunkbench serve: stopped\n");
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace chunkbench::cli
