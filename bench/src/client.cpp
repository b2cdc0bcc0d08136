// The chunkbench cell: one extract library call inside the client namespace, cold (a fresh output,
// no client cache), measured from inside its process (getrusage).
#include <sys/resource.h>

#include "chunkbench/bench/peers.hpp"
#include "chunkbench/extract.hpp"
#include "chunkbench/json_report.hpp"

namespace chunkbench::bench {

ToolRun run_chunkbench(const CellContext& c) {
  ExtractRequest q;
  q.index_path = c.store.v2_index;
  q.output = c.work_dir + "/chunkbench-out.img";
  q.stores = {c.server_url + "store/"};
  if (c.cell.case_ == "update") q.seeds = {c.store.v1_index + ":" + c.images.v1};
  if (c.cell.mode != "store") {
    q.source = c.server_url + "v2.img";
    q.mode = c.cell.mode == "range" ? PlanOptions::Remote::range : PlanOptions::Remote::automatic;
  } else {
    q.mode = PlanOptions::Remote::store;
  }
  if (c.rate_bytes_per_second > 0) q.bandwidth = c.rate_bytes_per_second;
  q.window = static_cast<unsigned>(c.cell.in_flight);  // 0: the library's default
  q.http.version = c.cell.protocol == "1.1" ? HttpOptions::Version::http1_1 : HttpOptions::Version::http2;
  q.http.ca_file = c.ca_file;
  if (c.cell.connections > 0) q.http.connections = static_cast<unsigned>(c.cell.connections);
  if (c.cell.streams > 0) q.http.streams = static_cast<unsigned>(c.cell.streams);
  ToolRun t;
  t.output = q.output;
  const ExtractReport r = extract(q);
  t.wall_seconds = r.wall_seconds;
  t.extract = nlohmann::json::parse(to_json(r));
  t.protocol = r.protocol == "2" ? "h2" : r.protocol == "1.1" ? "http/1.1" : r.protocol;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  t.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  t.peak_rss_bytes = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
  return t;
}

}  // namespace chunkbench::bench
