#pragma once
// The self-contained HTML report: gnuplot charts inlined as SVG, the tables under them, the metadata at
// the end. No script, no font or style from the network: the file opens anywhere, offline.
#include <string>
#include <vector>

#include "chunkbench/reports/result.hpp"

namespace chunkbench::reports {

struct HtmlOptions {
  std::string title;                // default: "chunkbench report: <matrix>"
  std::string gnuplot = "gnuplot";  // the program that draws the charts
  std::vector<std::string> sources; // the input directories, listed in the header
};

// Throws Errc::not_found when gnuplot cannot be run (the charts are the point of the report).
std::string render_html(const std::vector<Result>& results, const HtmlOptions& options = {});

}  // namespace chunkbench::reports
