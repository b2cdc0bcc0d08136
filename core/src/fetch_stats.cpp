#include "chunkbench/fetch_stats.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <nlohmann/json.hpp>

namespace chunkbench {

namespace {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Nearest-rank percentile: a value that really occurred, never an interpolation between two.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

LatencySummary summarise(std::vector<double> v) {
  LatencySummary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.p50 = percentile(v, 50);
  s.p90 = percentile(v, 90);
  s.p99 = percentile(v, 99);
  s.max = v.back();
  return s;
}

}  // namespace

FetchStats::FetchStats() : epoch_ns_(steady_ns()) {}

FetchStats::FetchStats(std::function<void(const RequestRecord&)> on_add)
    : epoch_ns_(steady_ns()), on_add_(std::move(on_add)) {}

double FetchStats::now() const { return static_cast<double>(steady_ns() - epoch_ns_) / 1e9; }

void FetchStats::add(RequestRecord r) {
  std::lock_guard g(mu_);
  if (on_add_) on_add_(r);
  records_.push_back(std::move(r));
}

std::vector<RequestRecord> FetchStats::records() const {
  std::lock_guard g(mu_);
  return records_;
}

FetchSummary FetchStats::summary() const {
  std::lock_guard g(mu_);
  FetchSummary s;
  std::vector<double> total, ttfb, queue;
  double first = 0, last = 0;
  for (const auto& r : records_) {
    if (s.requests == 0 || r.start < first) first = r.start;
    last = std::max(last, r.end);
    ++s.requests;
    if (r.attempt > 0) ++s.retries;
    if (r.status == 0 || r.status >= 500) ++s.failed;
    s.bytes += r.bytes;
    s.connections += static_cast<std::uint64_t>(std::max(0L, r.connects));
    if (!r.protocol.empty()) ++s.protocols[r.protocol];
    if (r.status != 0) total.push_back(r.end - r.start);
    // From the moment the request went out: time spent queued for a stream or a connection is not
    // the server's nor the link's, and is summarised on its own.
    if (r.first_byte >= 0) ttfb.push_back(r.first_byte - (r.sent >= 0 ? r.sent : r.start));
    if (r.sent >= 0) queue.push_back(r.queue);
  }
  s.request_seconds = summarise(std::move(total));
  s.ttfb_seconds = summarise(std::move(ttfb));
  s.queue_seconds = summarise(std::move(queue));
  s.wall_seconds = s.requests ? last - first : 0;
  return s;
}

std::string FetchStats::records_json() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : records()) {
    nlohmann::json j = {{"url", r.url},           {"method", r.method},         {"start", r.start},
                        {"sent", r.sent},         {"queue", r.queue},           {"first_byte", r.first_byte}, {"end", r.end},           {"bytes", r.bytes},
                        {"protocol", r.protocol}, {"reused_connection", r.reused}, {"connects", r.connects},
                        {"attempt", r.attempt},   {"status", r.status}};
    if (r.range_length) j["range"] = {r.range_first, r.range_length};
    if (!r.error.empty()) j["error"] = r.error;
    arr.push_back(std::move(j));
  }
  nlohmann::json j = {{"schema", "chunkbench.requests/1"}, {"version", 1}, {"time_base", "seconds since the FetchStats was created (steady clock)"},
                      {"records", arr}};
  return j.dump(1);
}

}  // namespace chunkbench
