// The chunkbench cell: the extract library call in a forked child inside the client namespace,
// cold (a fresh output, no client cache), its statistics handed back through a file.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>

#include "chunkbench/assembler.hpp"
#include "chunkbench/bench/peers.hpp"
#include "chunkbench/fetch_stats.hpp"
#include "chunkbench/fetcher.hpp"
#include "chunkbench/http_store.hpp"
#include "chunkbench/index.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/range_source.hpp"
#include "chunkbench/seed.hpp"

namespace chunkbench::bench {
namespace {

nlohmann::json stats_json(const ExtractStats& st, const FetchSummary& net, const std::string& protocol) {
  return {{"schema", "chunkbench.extract/1"},
          {"chunks_total", st.chunks_total},
          {"bytes_total", st.bytes_total},
          {"chunks_from_seeds", st.chunks_from_seeds},
          {"bytes_from_seeds", st.bytes_from_seeds},
          {"chunks_from_store", st.chunks_from_store},
          {"bytes_from_store", st.bytes_from_store},
          {"chunks_fetched", st.chunks_fetched},
          {"bytes_fetched", st.bytes_fetched},
          {"chunks_from_range", st.chunks_from_range},
          {"range_requests", st.range_requests},
          {"chunks_refetched", st.chunks_refetched},
          {"source_mode", st.remote_mode},
          {"seconds", st.seconds},
          {"network",
           {{"requests", net.requests}, {"retries", net.retries}, {"bytes", net.bytes}, {"connections_opened", net.connections},
            {"protocol", protocol}}}};
}

int extract_in_child(const CellContext& c, const std::string& out, const std::string& stats_file) {
  const Index target = Index::read(c.store.v2_index);
  HttpOptions http;
  http.version = c.cell.protocol == "1.1" ? HttpOptions::Version::http1_1 : HttpOptions::Version::http2;
  http.ca_file = c.ca_file;
  // 0 = the library's default window: about 16 MiB of average chunks, 4 to 64.
  http.in_flight = c.cell.in_flight > 0 ? static_cast<unsigned>(c.cell.in_flight)
                                        : static_cast<unsigned>(std::clamp<std::uint64_t>((16u << 20) / target.sizes.avg, 4, 64));
  if (c.cell.connections > 0) http.connections = static_cast<unsigned>(c.cell.connections);
  if (c.cell.streams > 0) http.streams = static_cast<unsigned>(c.cell.streams);
  auto stats = std::make_shared<FetchStats>();
  auto fetcher = std::make_shared<BatchFetcher>(http, stats);
  auto store = std::make_shared<HttpStore>(c.server_url + "store/", true, fetcher, target.sizes.max + target.sizes.max / 64 + 4096);
  std::vector<Seed> seeds;
  if (c.cell.case_ == "update") seeds.push_back(load_seed(c.store.v1_index + ":" + c.images.v1, target, 0));
  ExtractOptions opt;
  opt.queue = http.in_flight;
  std::unique_ptr<HttpRangeSource> source;
  if (c.cell.mode != "store") {
    source = std::make_unique<HttpRangeSource>(c.server_url + "v2.img", fetcher);
    opt.range = source.get();
    opt.plan.remote = c.cell.mode == "range" ? PlanOptions::Remote::range : PlanOptions::Remote::automatic;
    opt.plan.cost.in_flight = http.in_flight;
    if (c.rate_bytes_per_second > 0) opt.plan.cost.bandwidth = c.rate_bytes_per_second;
    if (opt.plan.remote == PlanOptions::Remote::automatic)
      opt.calibrate = [&](const CostModel& base, const Plan& plan) {
        return calibrate_cost(base, *store, source.get(), target, plan.store_positions(16));
      };
  }
  ExtractStats st = extract(target, out, seeds, store.get(), opt);
  FetchSummary net = stats->summary();
  std::string protocol;
  for (const auto& [p, n] : net.protocols) protocol += (protocol.empty() ? "" : "+") + (p == "2" ? std::string("h2") : "http/" + p);
  std::ofstream(stats_file) << stats_json(st, net, protocol).dump(2) << "\n";
  return 0;
}

}  // namespace

ToolRun run_chunkbench(const CellContext& c) {
  ToolRun t;
  t.output = c.work_dir + "/chunkbench-out.img";
  const std::string stats_file = c.work_dir + "/extract.json";
  t.run = run_in_netns(c.client_netns, [&] { return extract_in_child(c, t.output, stats_file); }, c.timeout_seconds,
                       c.work_dir + "/extract-error.txt");
  std::ifstream in(stats_file);
  if (in) {
    try {
      t.extract = nlohmann::json::parse(in);
      t.protocol = t.extract["network"].value("protocol", "");
    } catch (const nlohmann::json::exception&) {
    }
  }
  return t;
}

}  // namespace chunkbench::bench
