#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "chunkbench/assembler.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/http_store.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/range_source.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

namespace {

// The first HTTP store reachable through `store` (itself or a RouterStore member), for calibration.
HttpStore* first_http_store(Store* store) {
  if (auto* h = dynamic_cast<HttpStore*>(store)) return h;
  if (auto* r = dynamic_cast<RouterStore*>(store))
    for (const auto& s : r->stores())
      if (auto* h = dynamic_cast<HttpStore*>(s.get())) return h;
  return nullptr;
}

std::string eta(double seconds) {
  if (!(seconds >= 0) || seconds > 360000) return "--:--";
  char buf[32];
  auto s = static_cast<long>(seconds + 0.5);
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
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
            "complete.\n\n"
            "example: chunkbench extract -s https://127.0.0.1:8443/store/ --ca ca.pem --http 2 -n 64 \\\n"
            "           --seed old.img --json --stats-out requests.json new.caibx new.img");
  add_store_options(args, true);
  args.option("seed", 0, "FILE", "an image whose chunks may be reused (FILE.caibx, FILE or INDEX:FILE)", true);
  args.option("seed-dir", 0, "DIR", "use every *.caibx under DIR whose image sits beside it as a seed", true);
  args.option("concurrency", 'n', "N", "requests in flight to remote stores (default: 16 MiB of average chunks,\n                              "
                                       "4 to 64, i.e. 64 at 64 KiB, 8 at 2 MiB); with only local stores, the\n                              "
                                       "number of worker threads (as before)");
  args.option("threads", 0, "N", "decode/verify/write threads (default: one per core)");
  add_http_options(args);
  args.option("source", 0, "URL", "the raw image over http(s), read by Range requests (see --source-mode)");
  args.option("source-mode", 0, "MODE", "where chunks no seed holds come from: store (default without --source),\n                              "
                                        "range (the image, adjacent chunks coalesced into one request), or auto\n                              "
                                        "(default with --source: per gap, whichever the cost model finds cheaper)");
  args.option("max-span", 0, "BYTES", "longest Range request, e.g. 8M (default 8M)");
  args.option("rtt", 0, "SEC", "round-trip time for the auto cost model (default: measured with HEAD requests)");
  args.option("bandwidth", 0, "BYTES", "link rate in bytes/s for the auto cost model, e.g. 6M (default 6.25M = 50 Mbit/s)");
  args.flag("in-place", 'k', "write into OUTPUT directly, keeping chunks already correct there (resume)");
  args.option("digest", 0, "DIGEST", "require this digest (sha512-256 or sha256); default: the index's flag");
  args.flag("json", 0, "print the statistics as JSON on stdout (network: requests, retries, protocol, connections,\n                              "
                       "latency percentiles)");
  args.option("stats-out", 0, "FILE", "write one JSON record per HTTP request (start, first byte, end, bytes, protocol,\n                              "
                                      "connection reuse, attempt, status) to FILE");
  if (!args.parse(argc, argv)) return 0;
  args.expect_positionals({"INDEX", "OUTPUT"});
  const std::string index_path = args.positionals()[0], output = args.positionals()[1];
  // Chosen here, before any thread starts, so that Ctrl-C or a SIGTERM removes it: an interrupted
  // extract leaves neither a partial image nor a stray temporary file (--in-place keeps its work).
  const std::string temp_path = args.has("in-place") ? "" : temp_name_beside(output, "chunkbench-");
  std::optional<RemoveOnInterrupt> interrupt;
  if (!temp_path.empty()) interrupt.emplace(temp_path);

  Index target = Index::read(index_path);
  if (auto d = args.maybe("digest")) require_digest(target, parse_digest(*d), index_path);

  bool any_remote = args.has("source");
  for (const auto& s : args.all("store")) any_remote = any_remote || is_http_url(s);
  unsigned threads = 0;
  if (args.has("threads")) threads = static_cast<unsigned>(args.get_int("threads", 0, 1, 1024));
  else if (!any_remote) threads = threads_option(args);
  else threads = default_threads();

  RemoteContext remote;
  remote.http = http_options(args);
  // Default window: about 16 MiB of chunks in flight, 4 to 64 requests. Large chunks need few
  // requests to fill a link (reference §0), and with many of them an h2 server interleaves all
  // streams so they complete together at the end instead of feeding the decoders as they go.
  const auto window = static_cast<long long>(std::clamp<std::uint64_t>((16u << 20) / std::max<std::uint64_t>(target.sizes.avg, 1), 4, 64));
  remote.http.in_flight = any_remote ? static_cast<unsigned>(args.get_int("concurrency", window, 1, 65536)) : 64;
  // zstd's worst case for incompressible data is a few bytes per 128 KiB block; be generous.
  remote.max_body = target.sizes.max + target.sizes.max / 64 + 4096;

  std::vector<Seed> seeds;
  for (const auto& s : args.all("seed")) seeds.push_back(load_seed(s, target, threads));
  for (const auto& d : args.all("seed-dir"))
    for (auto& s : load_seed_dir(d, target, index_path)) seeds.push_back(std::move(s));
  std::shared_ptr<Store> store;
  if (args.has("store")) store = open_read_stores(args, remote);

  ExtractOptions opt;
  opt.threads = threads;
  opt.in_place = args.has("in-place");
  opt.temp_path = temp_path;
  opt.queue = remote.http.in_flight;
  std::unique_ptr<HttpRangeSource> source;
  if (auto url = args.maybe("source")) {
    source = std::make_unique<HttpRangeSource>(*url, remote.fetcher());
    opt.range = source.get();
    opt.plan.remote = parse_remote(args.get("source-mode", store ? "auto" : "range"));
  } else if (auto m = args.maybe("source-mode")) {
    opt.plan.remote = parse_remote(*m);
    if (opt.plan.remote != PlanOptions::Remote::store) throw Error(Errc::usage, "--source-mode " + *m + " needs --source URL");
  }
  if (opt.plan.remote == PlanOptions::Remote::automatic && !store)
    throw Error(Errc::usage, "--source-mode auto needs a store (-s) to compare the image with");
  opt.plan.max_span = parse_size_option(args.get("max-span", "8M"), "--max-span");
  if (opt.plan.max_span == 0) throw Error(Errc::usage, "--max-span must be at least 1 byte");
  opt.plan.cost.in_flight = remote.http.in_flight;
  if (auto b = args.maybe("bandwidth")) opt.plan.cost.bandwidth = static_cast<double>(parse_size_option(*b, "--bandwidth"));
  if (opt.plan.cost.bandwidth <= 0) throw Error(Errc::usage, "--bandwidth must be positive");
  const bool rtt_given = args.has("rtt");
  if (rtt_given) opt.plan.cost.rtt = parse_seconds(args.get("rtt"), "--rtt");
  if (opt.plan.remote == PlanOptions::Remote::automatic) {
    HttpStore* http = first_http_store(store.get());
    opt.calibrate = [&, http](const CostModel& base, const Plan& plan) {
      if (!http) return base;  // a local store: its "RTT" is not a network's; keep the given model
      CostModel m = calibrate_cost(base, *http, source.get(), target, plan.store_positions(16));
      if (rtt_given) m.rtt = base.rtt;
      return m;
    };
  }

  const auto t0 = std::chrono::steady_clock::now();
  opt.progress = [t0](const ExtractProgress& p) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double rate = s > 0 ? static_cast<double>(p.bytes_done) / s : 0;
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %llu/%llu chunks  %.0f chunks/s  %s  ETA %s",
                  static_cast<unsigned long long>(p.chunks_done), static_cast<unsigned long long>(p.chunks_total),
                  s > 0 ? static_cast<double>(p.chunks_done) / s : 0.0, human_rate(static_cast<double>(p.bytes_done), s).c_str(),
                  eta(rate > 0 ? static_cast<double>(p.bytes_total - p.bytes_done) / rate : -1).c_str());
    status_line(human_bytes(p.bytes_done) + " / " + human_bytes(p.bytes_total) + buf);
  };
  ExtractStats st;
  try {
    st = extract(target, output, seeds, store.get(), opt);
  } catch (...) {
    end_status_line();
    throw;
  }
  end_status_line();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  FetchSummary net = remote.stats->summary();
  std::string protocol;
  for (const auto& [p, count] : net.protocols) protocol += (protocol.empty() ? "" : "+") + p;
  if (auto f = args.maybe("stats-out")) {
    std::ofstream out(*f);
    out << remote.stats->records_json() << "\n";
    if (!out.flush()) throw Error(Errc::io, "write " + *f + ": failed");
  }

  if (args.has("json")) {
    nlohmann::json network = nlohmann::json::parse(summary_json(net));
    network["protocol"] = protocol;
    network["requested"] = {{"http", version_name(remote.http.version)},
                            {"in_flight", remote.http.in_flight},
                            {"connections", remote.http.connections},
                            {"streams", remote.http.streams},
                            {"retries", remote.http.retries},
                            {"decode_threads", threads}};
    nlohmann::json j = {{"index", index_path},
                        {"output", output},
                        {"seeds", st.seeds},
                        {"chunks_total", st.chunks_total},
                        {"bytes_total", st.bytes_total},
                        {"chunks_from_seeds", st.chunks_from_seeds},
                        {"bytes_from_seeds", st.bytes_from_seeds},
                        {"chunks_in_place", st.chunks_in_place},
                        {"bytes_in_place", st.bytes_in_place},
                        {"chunks_zero", st.chunks_zero},
                        {"bytes_zero", st.bytes_zero},
                        {"chunks_from_store", st.chunks_from_store},
                        {"bytes_from_store", st.bytes_from_store},
                        {"chunks_fetched", st.chunks_fetched},
                        {"bytes_fetched", st.bytes_fetched},
                        {"chunks_from_range", st.chunks_from_range},
                        {"bytes_from_range", st.bytes_from_range},
                        {"range_requests", st.range_requests},
                        {"bytes_range_fetched", st.bytes_range_fetched},
                        {"chunks_refetched", st.chunks_refetched},
                        {"bytes_from_network", net.bytes},
                        {"seed_chunks_invalid", st.seed_chunks_invalid},
                        {"source_mode", st.remote_mode},
                        {"gaps", st.gaps},
                        {"gaps_to_store", st.gaps_to_store},
                        {"gaps_to_range", st.gaps_to_range},
                        {"cost_model",
                         {{"rtt", st.cost.rtt},
                          {"bandwidth", st.cost.bandwidth},
                          {"request_overhead", st.cost.request_overhead},
                          {"compression", st.cost.compression},
                          {"in_flight", st.cost.in_flight},
                          {"measured", st.cost.measured},
                          {"estimated_remote_seconds", st.estimated_remote_seconds}}},
                        {"network", network},
                        {"seconds", st.seconds},
                        {"wall_seconds", wall}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
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
    if (opt.range)
      std::printf("source mode      %s: %llu gaps, %llu to the store, %llu by Range (%llu requests)\n",
                  st.remote_mode.c_str(), (unsigned long long)st.gaps, (unsigned long long)st.gaps_to_store,
                  (unsigned long long)st.gaps_to_range, (unsigned long long)st.range_requests);
    if (st.chunks_refetched) std::printf("chunks fetched again after failing verification: %llu\n", (unsigned long long)st.chunks_refetched);
    if (st.seed_chunks_invalid) std::printf("seed chunks that failed verification: %llu\n", (unsigned long long)st.seed_chunks_invalid);
    if (net.requests)
      std::printf("network          %llu requests (%llu retries), %s, HTTP/%s, %llu connections, "
                  "request p50/p90/p99 %.1f/%.1f/%.1f ms, TTFB p50 %.1f ms\n",
                  (unsigned long long)net.requests, (unsigned long long)net.retries, human_bytes(net.bytes).c_str(),
                  protocol.c_str(), (unsigned long long)net.connections, net.request_seconds.p50 * 1e3,
                  net.request_seconds.p90 * 1e3, net.request_seconds.p99 * 1e3, net.ttfb_seconds.p50 * 1e3);
    std::printf("time             %.3f s, %s\n", st.seconds, human_rate(double(st.bytes_total), st.seconds).c_str());
  }
  return 0;
}

}  // namespace chunkbench::cli
