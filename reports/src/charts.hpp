#pragma once
// The report's figures as gnuplot scripts (internal): which series, panels and axes each chart has.
#include <string>
#include <vector>

#include "chunkbench/reports/summary.hpp"

namespace chunkbench::reports::charts {

struct Figure {
  std::string id;       // HTML id, e.g. "full-in-flight"
  std::string title;
  std::string caption;  // what is drawn, one sentence
  std::string script;   // gnuplot commands after "set output"
  int width = 0, height = 0;
};

// Per case present ("full", "update"): time and efficiency against requests in flight and against
// chunk size, one panel per scenario, one series per protocol (and chunk size), peers in the same
// panels; for updates also the bytes downloaded per chunk size.
std::vector<Figure> figures(const std::vector<CellSummary>& cells);

}  // namespace chunkbench::reports::charts
