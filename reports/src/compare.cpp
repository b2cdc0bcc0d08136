#include "chunkbench/reports/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "chunkbench/error.hpp"

namespace chunkbench::reports {

using nlohmann::json;

namespace {

using Repetitions = std::map<int, const Result*>;

std::map<std::string, Repetitions> by_cell(const std::vector<Result>& results) {
  std::map<std::string, Repetitions> out;
  for (const auto& r : results)
    if (r.ok() && r.wall_seconds > 0) out[r.cell_id][r.repetition] = &r;
  return out;
}

// Each cell's bootstrap has its own seed, so adding or removing a cell does not move the others.
std::uint64_t cell_seed(const std::string& cell_id, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ULL ^ seed;
  for (unsigned char c : cell_id) h = (h ^ c) * 1099511628211ULL;
  return h;
}

struct PairedCell {
  CellComparison result;
  std::vector<double> ratios;
};

PairedCell pair_cell(const std::string& id, const Repetitions& base, const Repetitions& cand,
                     const CompareOptions& o) {
  PairedCell p;
  p.result.cell_id = id;
  p.result.cell = (base.empty() ? cand : base).begin()->second->cell;
  std::vector<double> b, n;
  for (const auto& [rep, br] : base) {
    auto it = cand.find(rep);
    if (it == cand.end()) continue;
    b.push_back(br->wall_seconds);
    n.push_back(it->second->wall_seconds);
    p.ratios.push_back(it->second->wall_seconds / br->wall_seconds);
  }
  auto& c = p.result;
  c.pairs = static_cast<int>(p.ratios.size());
  c.base_seconds = median(b);
  c.new_seconds = median(n);
  c.ratio = median(p.ratios);
  if (c.pairs < o.min_pairs) return p;
  std::vector<double> scratch;
  c.ci = bootstrap(
      [&](Rng& rng) {
        resample(p.ratios, rng, scratch);
        return median(scratch);
      },
      o.confidence, o.iterations, cell_seed(id, o.seed));
  if (c.ratio >= o.threshold && c.ci.low > 1)
    c.verdict = Verdict::regression;
  else if (c.ratio <= 1 / o.threshold && c.ci.high < 1)
    c.verdict = Verdict::improvement;
  else
    c.verdict = Verdict::pass;
  return p;
}

MatrixComparison judge_matrix(const std::vector<PairedCell>& cells, const CompareOptions& o) {
  MatrixComparison m;
  std::vector<const std::vector<double>*> samples;
  std::vector<double> ratios;
  for (const auto& c : cells) {
    if (c.result.verdict == Verdict::no_verdict) continue;
    samples.push_back(&c.ratios);
    ratios.push_back(c.result.ratio);
  }
  m.cells = static_cast<int>(samples.size());
  if (samples.empty()) return m;
  m.geomean = geometric_mean(ratios);
  std::vector<double> scratch, medians(samples.size());
  // Resampling within each cell keeps the cells' identities: the interval is about noise, not about
  // which cells happen to be in the matrix.
  m.ci = bootstrap(
      [&](Rng& rng) {
        for (std::size_t i = 0; i < samples.size(); ++i) {
          resample(*samples[i], rng, scratch);
          medians[i] = median(scratch);
        }
        return geometric_mean(medians);
      },
      o.confidence, o.iterations, o.seed);
  if (m.geomean >= o.matrix_threshold && m.ci.low > 1)
    m.verdict = Verdict::regression;
  else if (m.geomean <= 1 / o.matrix_threshold && m.ci.high < 1)
    m.verdict = Verdict::improvement;
  else
    m.verdict = Verdict::pass;
  return m;
}

}  // namespace

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::pass: return "pass";
    case Verdict::improvement: return "improvement";
    case Verdict::regression: return "regression";
    case Verdict::no_verdict: return "no-verdict";
  }
  return "?";
}

int Comparison::exit_code() const {
  return verdict == Verdict::regression ? 1 : verdict == Verdict::no_verdict ? 2 : 0;
}

Comparison compare(const std::vector<Result>& base, const std::vector<Result>& candidate, const CompareOptions& o) {
  if (o.min_pairs < 2 || o.iterations < 100 || !(o.confidence > 0 && o.confidence < 1) || o.threshold <= 1 ||
      o.matrix_threshold <= 1)
    throw Error(Errc::usage, "compare: thresholds must be > 1, confidence in (0, 1), min_pairs >= 2");
  const auto b = by_cell(base), n = by_cell(candidate);
  Comparison out;
  out.options = o;
  std::vector<PairedCell> cells;
  std::set<std::string> ids;
  for (const auto& [id, reps] : b) ids.insert(id);
  for (const auto& [id, reps] : n) ids.insert(id);
  for (const auto& id : ids) {
    auto bi = b.find(id), ni = n.find(id);
    if (bi == b.end() || ni == n.end()) {
      out.unpaired.push_back(id);
      continue;
    }
    cells.push_back(pair_cell(id, bi->second, ni->second, o));
  }
  out.matrix = judge_matrix(cells, o);
  bool any_regression = out.matrix.verdict == Verdict::regression;
  for (auto& c : cells) {
    any_regression |= c.result.verdict == Verdict::regression;
    out.cells.push_back(std::move(c.result));
  }
  out.verdict = any_regression ? Verdict::regression : out.matrix.verdict;
  return out;
}

std::pair<std::vector<Result>, std::vector<Result>> split_ab(const std::vector<Result>& results) {
  std::pair<std::vector<Result>, std::vector<Result>> out;
  for (const auto& r : results) {
    if (r.metadata.ab_side == "base") out.first.push_back(r);
    if (r.metadata.ab_side == "new") out.second.push_back(r);
  }
  if (out.first.empty() || out.second.empty())
    throw Error(Errc::invalid_input, "not an A/B run: no results with metadata.ab_side \"" +
                                         std::string(out.first.empty() ? "base" : "new") + "\"");
  return out;
}

void to_json(json& j, const Comparison& c) {
  json cells = json::array();
  for (const auto& cell : c.cells)
    cells.push_back({{"cell_id", cell.cell_id},
                     {"cell", cell.cell},
                     {"pairs", cell.pairs},
                     {"base_seconds", cell.base_seconds},
                     {"new_seconds", cell.new_seconds},
                     {"ratio", cell.ratio},
                     {"ci", {cell.ci.low, cell.ci.high}},
                     {"verdict", verdict_name(cell.verdict)}});
  const auto& o = c.options;
  j = json{{"schema", kCompareSchema},
           {"metric", "wall_seconds"},
           {"options",
            {{"threshold", o.threshold},
             {"matrix_threshold", o.matrix_threshold},
             {"confidence", o.confidence},
             {"min_pairs", o.min_pairs},
             {"iterations", o.iterations},
             {"seed", o.seed}}},
           {"cells", cells},
           {"unpaired", c.unpaired},
           {"matrix",
            {{"cells", c.matrix.cells},
             {"geomean", c.matrix.geomean},
             {"ci", {c.matrix.ci.low, c.matrix.ci.high}},
             {"verdict", verdict_name(c.matrix.verdict)}}},
           {"verdict", verdict_name(c.verdict)},
           {"exit_code", c.exit_code()}};
}

std::string render_comparison(const Comparison& c) {
  std::string out;
  char line[512];
  const int pct = static_cast<int>(std::lround(c.options.confidence * 100));
  std::snprintf(line, sizeof line, "%-56s %5s %9s %9s %7s  %-17s %s\n", "cell (wall time, new/base)", "pairs", "base s",
                "new s", "ratio", (std::to_string(pct) + "% CI").c_str(), "verdict");
  out += line;
  for (const auto& cell : c.cells) {
    char ci[64] = "-";
    if (cell.verdict != Verdict::no_verdict) std::snprintf(ci, sizeof ci, "[%.3f, %.3f]", cell.ci.low, cell.ci.high);
    std::snprintf(line, sizeof line, "%-56s %5d %9.3f %9.3f %7.3f  %-17s %s\n", cell.cell_id.c_str(), cell.pairs,
                  cell.base_seconds, cell.new_seconds, cell.ratio, ci, verdict_name(cell.verdict));
    out += line;
  }
  for (const auto& id : c.unpaired) out += id + ": on one side only, not compared\n";
  if (c.matrix.verdict == Verdict::no_verdict) {
    std::snprintf(line, sizeof line, "matrix: no verdict (no cell has %d pairs ok on both sides)\n",
                  c.options.min_pairs);
  } else {
    std::snprintf(line, sizeof line,
                  "matrix: geometric mean %.3f, %d%% CI [%.3f, %.3f] over %d cells: %s (regression at >= %.2f with "
                  "the interval above 1)\n",
                  c.matrix.geomean, pct, c.matrix.ci.low, c.matrix.ci.high, c.matrix.cells,
                  verdict_name(c.matrix.verdict), c.options.matrix_threshold);
  }
  out += line;
  std::snprintf(line, sizeof line, "verdict: %s (exit %d)\n", verdict_name(c.verdict), c.exit_code());
  out += line;
  return out;
}

}  // namespace chunkbench::reports
