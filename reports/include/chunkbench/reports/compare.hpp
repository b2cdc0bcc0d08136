#pragma once
// The regression gate: paired ratios of wall time, new over base, per cell and over the matrix, with
// bootstrap confidence intervals so that noise on shared runners is not read as a slowdown.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "chunkbench/reports/result.hpp"
#include "chunkbench/reports/stats.hpp"

namespace chunkbench::reports {

inline constexpr const char* kCompareSchema = "chunkbench.compare/1";

struct CompareOptions {
  double threshold = 1.10;         // a cell regresses at ratio >= this with its interval above 1
  double matrix_threshold = 1.03;  // the matrix: geometric mean of cell ratios >= this, interval above 1
  double confidence = 0.99;
  int min_pairs = 5;               // fewer pairs: no verdict for that cell
  int iterations = 4000;           // bootstrap resamples
  std::uint64_t seed = 1;          // the intervals are a function of the data and this seed
};

enum class Verdict { pass, improvement, regression, no_verdict };
const char* verdict_name(Verdict v);  // "pass", "improvement", "regression", "no-verdict"

struct CellComparison {
  std::string cell_id;
  Cell cell;
  int pairs = 0;                  // repetitions ok on both sides
  double base_seconds = 0, new_seconds = 0;  // medians over the paired repetitions
  double ratio = 0;               // median of the paired new/base ratios
  Interval ci;
  Verdict verdict = Verdict::no_verdict;
};

struct MatrixComparison {
  int cells = 0;  // cells with a verdict, i.e. at least min_pairs pairs
  double geomean = 0;
  Interval ci;
  Verdict verdict = Verdict::no_verdict;
};

struct Comparison {
  CompareOptions options;
  std::vector<CellComparison> cells;
  std::vector<std::string> unpaired;  // cell ids present on one side only
  MatrixComparison matrix;
  // regression if any cell or the matrix regresses; no-verdict when nothing could be judged.
  Verdict verdict = Verdict::no_verdict;
  // 0 pass (or improvement), 1 regression, 2 no verdict (the gate could not decide).
  int exit_code() const;
};

// Pairs results by (cell_id, repetition); ab_side is ignored here (see split_ab).
Comparison compare(const std::vector<Result>& base, const std::vector<Result>& candidate, const CompareOptions& options);
// An A/B run holds both builds: returns (base, new) by metadata.ab_side; throws Errc::invalid_input
// when either side is missing.
std::pair<std::vector<Result>, std::vector<Result>> split_ab(const std::vector<Result>& results);

void to_json(nlohmann::json& j, const Comparison& c);  // "chunkbench.compare/1"
// The readable table and verdict lines.
std::string render_comparison(const Comparison& c);

}  // namespace chunkbench::reports
