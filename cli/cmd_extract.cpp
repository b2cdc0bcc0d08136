#include <chrono>
#include <cstdio>
#include <optional>

#include "chunkbench/error.hpp"
#include "chunkbench/extract.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/json_report.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

namespace {

std::string eta(double seconds) {
  if (!(seconds >= 0) || seconds > 360000) return "--:--";
  char buf[32];
  auto s = static_cast<long>(seconds + 0.5);
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

std::string progress_text(const ExtractProgress& p, std::chrono::steady_clock::time_point t0) {
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double rate = s > 0 ? static_cast<double>(p.bytes_done) / s : 0;
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %llu/%llu chunks  %.0f chunks/s  %s  ETA %s",
                static_cast<unsigned long long>(p.chunks_done), static_cast<unsigned long long>(p.chunks_total),
                s > 0 ? static_cast<double>(p.chunks_done) / s : 0.0, human_rate(static_cast<double>(p.bytes_done), s).c_str(),
                eta(rate > 0 ? static_cast<double>(p.bytes_total - p.bytes_done) / rate : -1).c_str());
  return human_bytes(p.bytes_done) + " / " + human_bytes(p.bytes_total) + buf;
}

void print_summary(const ExtractReport& rep, bool had_source) {
  const ExtractStats& st = rep.stats;
  const FetchSummary& net = rep.network;
  auto line = [](const char* what, std::uint64_t chunks, std::uint64_t bytes) {
    std::printf("%-16s %10llu chunks  %s\n", what, (unsigned long long)chunks, human_bytes(bytes).c_str());
  };
  line("total", st.chunks_total, st.bytes_total);
  line("from seeds", st.chunks_from_seeds, st.bytes_from_seeds);
  line("in place", st.chunks_in_place, st.bytes_in_place);
  line("zero", st.chunks_zero, st.bytes_zero);
  line("from store", st.chunks_from_store, st.bytes_from_store);
  line("fetched", st.chunks_fetched, st.bytes_fetched);
  if (st.range_requests) line("from image", st.chunks_from_range, st.bytes_from_range);
  if (had_source)
    std::printf("source mode      %s: %llu gaps, %llu to the store, %llu by Range (%llu requests)\n",
                st.remote_mode.c_str(), (unsigned long long)st.gaps, (unsigned long long)st.gaps_to_store,
                (unsigned long long)st.gaps_to_range, (unsigned long long)st.range_requests);
  if (st.chunks_refetched) std::printf("chunks fetched again after failing verification: %llu\n", (unsigned long long)st.chunks_refetched);
  if (st.seed_chunks_invalid) std::printf("seed chunks that failed verification: %llu\n", (unsigned long long)st.seed_chunks_invalid);
  if (net.requests)
    std::printf("network          %llu requests (%llu retries), %s, HTTP/%s, %llu connections, "
                "request p50/p90/p99 %.1f/%.1f/%.1f ms, TTFB p50 %.1f ms\n",
                (unsigned long long)net.requests, (unsigned long long)net.retries, human_bytes(net.bytes).c_str(),
                rep.protocol.c_str(), (unsigned long long)net.connections, net.request_seconds.p50 * 1e3,
                net.request_seconds.p90 * 1e3, net.request_seconds.p99 * 1e3, net.ttfb_seconds.p50 * 1e3);
  std::printf("time             %.3f s, %s\n", st.seconds, human_rate(double(st.bytes_total), st.seconds).c_str());
}

}  // namespace

int run_extract(int argc, char** argv) {
  Args args("extract", "-s STORE... [--seed FILE]... [--seed-dir DIR] [--source URL] [OPTIONS] INDEX OUTPUT",
            "Rebuilds the image INDEX describes into OUTPUT: the longest runs of chunks from seeds first\n"
            "(older images, with FILE.caibx beside them or chunked on the fly), the rest from the stores\n"
            "in the order given (a chunk missing from one store is looked for in the next), or by HTTP\n"
            "Range requests from the raw image (--source). Stores may be directories or http(s):// URLs;\n"
            "all remote transfers run on one libcurl multi handle, decoding and verification on worker\n"
            "threads. Every chunk is verified; one that fails is fetched once more, then the run fails\n"
            "naming it and its URL. OUTPUT is written under a temporary name and renamed only when\n"
            "complete; an existing block device is written in place and read back to verify. OUTPUT\n"
            "may not be the index or a seed, a directory, a character device, a FIFO or a socket.\n\n"
            "example: chunkbench extract -s https://127.0.0.1:8443/store/ --ca ca.pem --http 2 -n 64 \\\n"
            "           --seed old.img --json --stats-out requests.json new.caibx new.img");
  add_store_options(args, true);
  args.option("seed", 0, "FILE", "an image whose chunks may be reused (FILE.caibx, FILE or INDEX:FILE)", true);
  args.option("seed-dir", 0, "DIR", "use every *.caibx under DIR whose image sits beside it as a seed", true);
  args.option("concurrency", 'n', "N", "requests in flight to remote stores (default: follows the link, starting at\n                              "
                                       "16 MiB of average chunks, 4 to 64, then 1.5 x measured RTT x rate / mean\n                              "
                                       "chunk, growing with the measured rate); with only local stores, the\n                              "
                                       "number of worker threads (as before)");
  args.option("threads", 0, "N", "decode/verify/write threads (default: one per core)");
  add_http_options(args);
  args.option("source", 0, "URL", "the raw image over http(s), read by Range requests (see --source-mode)");
  args.option("source-mode", 0, "MODE", "where chunks no seed holds come from: store (default without --source),\n                              "
                                        "range (the image, adjacent chunks coalesced into one request), or auto\n                              "
                                        "(default with --source: per gap, whichever the cost model finds cheaper)");
  args.option("max-span", 0, "SIZE", "longest Range request, e.g. 8M = 8 MiB (default 8M)");
  args.option("rtt", 0, "DURATION", "round-trip time for the auto cost model and the link model (h2 then opens its\n                              "
                                 "connections at once), e.g. 50ms or 0.05 (default: measured)");
  args.option("bandwidth", 0, "RATE", "link rate for the auto cost model: bytes/s with K/M/G = 1000s, or bits/s as\n                              "
                                       "50mbit (default 6.25M = 6.25 MB/s = 50mbit)");
  args.flag("in-place", 'k', "write into OUTPUT directly, keeping chunks already correct there (resume)");
  args.option("digest", 0, "DIGEST", "require this digest (sha512-256 or sha256); default: the index's flag");
  args.flag("json", 0, "print the statistics as JSON on stdout (network: requests, retries, protocol, connections,\n                              "
                       "latency percentiles)");
  args.option("stats-out", 0, "FILE", "write one JSON record per HTTP request (start, sent, queue, first byte, end, bytes, protocol,\n                              "
                                      "connection reuse, attempt, status) to FILE");
  if (!args.parse(argc, argv)) return 0;
  args.expect_positionals({"INDEX", "OUTPUT"});

  ExtractRequest req;
  req.index_path = args.positionals()[0];
  req.output = args.positionals()[1];
  req.stores = args.all("store");
  req.compressed = !args.has("uncompressed");
  req.seeds = args.all("seed");
  req.seed_dirs = args.all("seed-dir");
  req.source = args.get("source");
  if (auto m = args.maybe("source-mode")) req.mode = named_option("source-mode", [&] { return parse_remote(*m); });
  if (req.mode && *req.mode != PlanOptions::Remote::store && req.source.empty())
    throw Error(Errc::usage, "--source-mode " + *args.maybe("source-mode") + " needs --source URL");
  if (req.mode == PlanOptions::Remote::automatic && req.stores.empty())
    throw Error(Errc::usage, "--source-mode auto needs a store (-s) to compare the image with");
  req.max_span = size_option(args, "max-span", req.max_span);
  if (req.max_span == 0) throw Error(Errc::usage, "--max-span must be at least 1 byte");
  req.bandwidth = rate_option(args, "bandwidth", req.bandwidth);
  if (req.bandwidth <= 0) throw Error(Errc::usage, "--bandwidth must be positive");
  if (args.has("rtt")) req.rtt = duration_option(args, "rtt", 0);
  req.http = http_options(args);
  if (auto d = args.maybe("digest")) req.digest = named_option("digest", [&] { return parse_digest(*d); });
  req.in_place = args.has("in-place");
  // -n is the window when anything is remote, the worker count otherwise (as before remote stores).
  bool any_remote = !req.source.empty();
  for (const auto& s : req.stores) any_remote = any_remote || is_remote_spec(s);
  if (args.has("threads")) req.threads = static_cast<unsigned>(args.get_int("threads", 0, 1, 1024));
  else if (!any_remote && args.has("concurrency")) req.threads = threads_option(args);
  if (any_remote) req.window = static_cast<unsigned>(args.get_int("concurrency", 0, 1, 65536));

  // Chosen here, before any thread starts, so that Ctrl-C or a SIGTERM removes it: an interrupted
  // extract leaves neither a partial image nor a stray temporary file (--in-place keeps its work).
  req.temp_path = req.in_place ? "" : temp_name_beside(req.output, "chunkbench-");
  std::optional<RemoveOnInterrupt> interrupt;
  if (!req.temp_path.empty()) interrupt.emplace(req.temp_path);

  const auto t0 = std::chrono::steady_clock::now();
  req.progress = [t0](const ExtractProgress& p) { status_line(progress_text(p, t0)); };
  ExtractReport rep;
  try {
    rep = extract(req);
  } catch (...) {
    end_status_line();
    throw;
  }
  end_status_line();

  if (auto f = args.maybe("stats-out")) write_text_file(*f, rep.requests->records_json() + "\n");
  if (args.has("json")) {
    std::printf("%s\n", to_json(rep).c_str());
    return 0;
  }
  print_summary(rep, !req.source.empty());
  return 0;
}

}  // namespace chunkbench::cli
