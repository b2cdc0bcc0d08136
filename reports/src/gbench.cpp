#include <map>

#include <nlohmann/json.hpp>

#include "chunkbench/reports/formats.hpp"
#include "chunkbench/reports/summary.hpp"

namespace chunkbench::reports {

using nlohmann::json;

namespace {

std::string bench_name(const Result& r) {
  return r.metadata.ab_side.empty() ? r.cell_id : r.cell_id + "/" + r.metadata.ab_side;
}

}  // namespace

std::string render_gbench_json(const std::vector<Result>& results) {
  json context = {{"date", ""}, {"host_name", ""}, {"executable", "chunkbench bench"}, {"num_cpus", 0},
                  {"mhz_per_cpu", 0}, {"cpu_scaling_enabled", false}, {"caches", json::array()},
                  {"load_avg", json::array()}, {"library_build_type", "release"}};
  if (!results.empty()) {
    const auto& m = results.front().metadata;
    context["date"] = m.started_at;
    context["host_name"] = m.host;
    context["num_cpus"] = m.cpu_count;
    context["chunkbench_matrix"] = results.front().matrix;
    context["chunkbench_git_revision"] = m.git_revision;
  }
  // Google Benchmark numbers families in order of first appearance; compare.py sorts by them.
  std::map<std::string, int> family;
  std::map<std::string, int> repetitions;
  for (const auto& r : results)
    if (r.ok()) ++repetitions[bench_name(r)];
  json benches = json::array();
  for (const auto& r : results) {
    if (!r.ok()) continue;  // a failed repetition has no time to compare
    const auto name = bench_name(r);
    const int index = family.emplace(name, static_cast<int>(family.size())).first->second;
    benches.push_back({{"name", name},
                       {"family_index", index},
                       {"per_family_instance_index", 0},
                       {"run_name", name},
                       {"run_type", "iteration"},
                       {"repetitions", repetitions[name]},
                       {"repetition_index", r.repetition},
                       {"threads", 1},
                       {"iterations", 1},
                       {"real_time", r.wall_seconds * 1e3},
                       {"cpu_time", r.client_cpu_seconds * 1e3},
                       {"time_unit", "ms"},
                       {"efficiency", r.efficiency},
                       {"wire_bytes", r.wire_bytes}});
  }
  return json{{"context", context}, {"benchmarks", benches}}.dump(2) + "\n";
}

std::string render_gab_json(const std::vector<Result>& results) {
  json out = json::array();
  auto cells = summarize(results);
  sort_for_display(cells);
  for (const auto& s : cells) {
    if (s.failed()) continue;
    const auto name = s.ab_side.empty() ? s.cell_id : s.cell_id + " (" + s.ab_side + ")";
    char range[64], extra[160];
    std::snprintf(range, sizeof range, "± %.3f", (s.wall_max - s.wall_min) / 2);
    std::snprintf(extra, sizeof extra, "median of %d repetitions%s\nefficiency %.2f\nwire bytes %.0f", s.measured,
                  s.lower_bound ? " (lower bound: hit the time cap)" : "", s.efficiency, s.wire_bytes);
    out.push_back({{"name", name}, {"unit", "s"}, {"value", s.wall_seconds}, {"range", range}, {"extra", extra}});
  }
  return out.dump(2) + "\n";
}

}  // namespace chunkbench::reports
