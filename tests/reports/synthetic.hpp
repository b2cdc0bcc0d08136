#pragma once
// Synthetic benchmark results with realistic noise (lognormal, 3 % by default) for the reports tests:
// a small matrix with both chunk sizes, both protocols, three windows, two scenarios, both cases and
// the casync and bare-transfer peers. Times follow a rough link model so charts look like real ones.
#include <cmath>
#include <string>
#include <vector>

#include "chunkbench/reports/result.hpp"
#include "chunkbench/reports/stats.hpp"

namespace synthetic {

using chunkbench::reports::Cell;
using chunkbench::reports::Result;

struct Options {
  int repetitions = 5;
  std::uint64_t seed = 1;
  double noise = 0.03;     // sigma of log(time)
  double slowdown = 1.0;   // planted factor on every chunkbench cell
  std::string ab_side;     // "" or "base"/"new"
};

inline std::vector<Cell> cells() {
  std::vector<Cell> out;
  for (const char* scenario : {"none", "far-50mbit"})
    for (const char* kase : {"full", "update"})
      for (const char* chunk : {"32:64:128", "1024:2048:4096"}) {
        for (const char* proto : {"1.1", "2"})
          for (int n : {1, 4, 32}) out.push_back({"chunkbench", kase, chunk, proto, n, 0, 0, "store", scenario, {}});
        out.push_back({"casync", kase, chunk, "1.1", 0, 0, 0, "store", scenario, {}});
      }
  for (const char* scenario : {"none", "far-50mbit"})
    for (const char* kase : {"full", "update"}) out.push_back({"bare", kase, "32:64:128", "2", 0, 0, 0, "store", scenario, {}});
  return out;
}

inline std::string cell_id(const Cell& c) {
  std::string chunk = c.chunk.substr(c.chunk.find(':') + 1);
  chunk = chunk.substr(0, chunk.find(':')) + "k";
  return c.case_ + "-" + chunk + "-h" + (c.protocol == "2" ? "2" : "1") + "-n" + std::to_string(c.in_flight) + "-" +
         c.mode + "-" + c.scenario + "-" + c.tool;
}

inline Result make_result(const Cell& c, int rep, chunkbench::reports::Rng& rng, const Options& o) {
  Result r;
  r.matrix = "synthetic";
  r.cell = c;
  r.cell_id = cell_id(c);
  r.repetition = rep;
  const bool far = c.scenario != "none";
  const double kib = c.chunk.find("2048") != std::string::npos ? 2048 : 64;
  const double image = c.case_ == "update" ? (kib > 100 ? 140e6 : 60e6) : 400e6;
  r.rtt_seconds = far ? 1.0 : 0.0002;
  r.rate_bytes_per_second = far ? 6.25e6 : 900e6;
  r.rate_source = far ? "scenario" : "bare-transfer";
  r.wire_bytes = static_cast<std::uint64_t>(image * 1.02);
  r.payload_bytes = static_cast<std::uint64_t>(image);
  r.requests = static_cast<std::uint64_t>(image / (kib * 1024));
  const double window = c.tool == "casync" ? 1 : c.tool == "bare" ? 64 : c.in_flight;
  const double round_trips = static_cast<double>(r.requests) / window * r.rtt_seconds;
  double t = static_cast<double>(r.wire_bytes) / r.rate_bytes_per_second + round_trips + 3 * r.rtt_seconds;
  if (c.tool != "bare") t += image / (c.protocol == "2" ? 700e6 : 600e6);  // decompress + verify + write
  if (c.tool == "chunkbench") t *= o.slowdown;
  r.wall_seconds = t * std::exp(o.noise * rng.normal());
  r.connections_opened = c.protocol == "2" ? 1 : std::max(1, c.in_flight);
  r.protocol_negotiated = c.protocol == "2" ? "h2" : "http/1.1";
  r.client_cpu_seconds = image / 500e6;
  r.client_peak_rss_bytes = 50'000'000;
  chunkbench::reports::compute_efficiency(r);
  r.metadata.kernel = "6.1.0-synthetic";
  r.metadata.link_backend = far ? "netem" : "";
  r.metadata.congestion_control = "cubic";
  r.metadata.versions = {{"chunkbench", "0.1.0"}, {"curl", "7.88.1"}};
  r.metadata.cpu_model = "Synthetic CPU";
  r.metadata.cpu_count = 2;
  r.metadata.started_at = "2026-12-03T17:00:00Z";
  r.metadata.ab_side = o.ab_side;
  return r;
}

inline std::vector<Result> run(const Options& o) {
  chunkbench::reports::Rng rng(o.seed);
  std::vector<Result> out;
  for (const auto& c : cells())
    for (int rep = 0; rep < o.repetitions; ++rep) out.push_back(make_result(c, rep, rng, o));
  return out;
}

// The same with positional arguments (designated initializers that skip a member warn on GCC 12).
inline std::vector<Result> run(std::uint64_t seed, double slowdown = 1.0, std::string ab_side = "", int repetitions = 5) {
  Options o;
  o.seed = seed;
  o.slowdown = slowdown;
  o.ab_side = std::move(ab_side);
  o.repetitions = repetitions;
  return run(o);
}

}  // namespace synthetic
