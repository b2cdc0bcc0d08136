#include "chunkbench/json_report.hpp"

#include <nlohmann/json.hpp>

namespace chunkbench {

namespace {

using nlohmann::json;

json latency(const LatencySummary& s) { return {{"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}, {"max", s.max}}; }

json sizes(const ChunkSizes& s) { return {{"min", s.min}, {"avg", s.avg}, {"max", s.max}}; }

json network(const ExtractReport& r) {
  const FetchSummary& s = r.network;
  return {{"requests", s.requests},
          {"retries", s.retries},
          {"failed_attempts", s.failed},
          {"bytes", s.bytes},
          {"connections_opened", s.connections},
          {"protocols", s.protocols},
          {"request_seconds", latency(s.request_seconds)},
          {"ttfb_seconds", latency(s.ttfb_seconds)},
          {"queue_seconds", latency(s.queue_seconds)},
          {"wall_seconds", s.wall_seconds},
          {"protocol", r.protocol},
          {"requested",
           {{"http", version_name(r.http.version)},
            {"in_flight", r.http.in_flight},
            {"connections", r.http.connections},
            {"streams", r.http.streams},
            {"retries", r.http.retries},
            {"decode_threads", r.threads}}},
          {"link",
           {{"rtt", r.link.rtt},
            {"rate", r.link.rate},
            {"window", r.link.window},
            {"connections", r.link.connections}}}};
}

json cost(const ExtractStats& st) {
  return {{"rtt", st.cost.rtt},
          {"bandwidth", st.cost.bandwidth},
          {"request_overhead", st.cost.request_overhead},
          {"compression", st.cost.compression},
          {"in_flight", st.cost.in_flight},
          {"measured", st.cost.measured},
          {"estimated_remote_seconds", st.estimated_remote_seconds}};
}

}  // namespace

std::string to_json(const ExtractReport& r) {
  const ExtractStats& st = r.stats;
  json j = {{"schema", kExtractSchema},
            {"index", r.index},
            {"output", r.output},
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
            {"bytes_from_network", r.network.bytes},
            {"seed_chunks_invalid", st.seed_chunks_invalid},
            {"source_mode", st.remote_mode},
            {"gaps", st.gaps},
            {"gaps_to_store", st.gaps_to_store},
            {"gaps_to_range", st.gaps_to_range},
            {"cost_model", cost(st)},
            {"network", network(r)},
            {"seconds", st.seconds},
            {"wall_seconds", r.wall_seconds}};
  return j.dump(2);
}

std::string to_json(const MakeReport& r) {
  const MakeStats& st = r.stats;
  json j = {{"schema", kMakeSchema},
            {"index", r.index},
            {"image", r.image},
            {"chunk_size", sizes(r.sizes)},
            {"digest", digest_name(r.digest)},
            {"chunks", st.chunks},
            {"unique", st.unique},
            {"stored", st.stored},
            {"already_present", st.already_present},
            {"bytes_in", st.bytes_in},
            {"bytes_unique", st.bytes_unique},
            {"bytes_stored", st.bytes_stored},
            {"seconds", st.seconds},
            {"throughput_bytes_per_s", st.seconds > 0 ? static_cast<double>(st.bytes_in) / st.seconds : 0.0}};
  return j.dump(2);
}

std::string to_json(const InfoReport& r) {
  const IndexInfo& in = r.info;
  json hist = json::object();
  for (auto [b, n] : in.histogram) hist[std::to_string(b)] = n;
  json j = {{"schema", kInfoSchema},
            {"index", r.index},
            {"digest", r.table ? digest_name(r.table->digest()) : ""},
            {"flags", r.table ? std::to_string(r.table->flags) : "0"},
            {"chunk_size", r.table ? sizes(r.table->sizes) : json::object()},
            {"chunks", in.chunks},
            {"unique", in.unique},
            {"size", in.bytes},
            {"dedup_size", in.bytes_unique},
            {"chunk_size_actual", {{"min", in.size_min}, {"mean", in.size_mean}, {"max", in.size_max}}},
            {"chunks_at_max", in.chunks_at_max},
            {"histogram_upper_bound", hist}};
  if (r.seeds) j["in_seed"] = in.in_seeds, j["in_seed_bytes"] = in.bytes_in_seeds;
  if (r.store) j["in_store"] = in.in_store, j["in_store_bytes"] = in.bytes_in_store;
  if (r.store || r.seeds) j["missing"] = in.missing, j["missing_bytes"] = in.bytes_missing;
  return j.dump(2);
}

std::string to_json(const CompareReport& r) {
  const CompareInfo& c = r.info;
  json j = {{"schema", kCompareSchema},   {"from", r.from},
            {"to", r.to},                  {"to_chunks", c.to_chunks},
            {"to_unique", c.to_unique},    {"to_bytes", c.to_bytes},
            {"shared_unique", c.shared_unique}, {"shared_bytes", c.shared_bytes},
            {"download_unique", c.new_unique},  {"download_bytes", c.new_bytes},
            {"removed_unique", c.removed_unique}, {"removed_bytes", c.removed_bytes}};
  return j.dump(2);
}

std::string to_json(const VerifyReport& r) {
  json bad = json::array();
  for (const auto& b : r.result.bad) bad.push_back({{"path", b.path}, {"reason", b.reason}});
  json j = {{"schema", kVerifySchema},   {"store", r.store},   {"checked", r.result.checked}, {"bytes", r.result.bytes},
            {"bad", bad},                 {"removed", r.result.removed}, {"seconds", r.result.seconds},
            {"digest", digest_name(r.result.digest)}, {"other_digest", r.result.other_digest}, {"sampled", r.result.sampled}};
  return j.dump(2);
}

}  // namespace chunkbench
