#pragma once
// Charts are drawn by gnuplot (gnuplot-nox), not by code of ours: a script in, an SVG document out.
#include <string>

namespace chunkbench::reports {

// Runs `gnuplot` (found on PATH unless a path is given) on `script` with the SVG terminal's output set
// to a private temporary file, and returns the SVG text without its XML prolog, ready to inline in
// HTML. Throws Errc::not_found when gnuplot is missing and Errc::invalid_input quoting gnuplot's
// messages when the script fails.
std::string gnuplot_svg(const std::string& script, const std::string& gnuplot = "gnuplot");

// True when `gnuplot` can be started.
bool gnuplot_available(const std::string& gnuplot = "gnuplot");

}  // namespace chunkbench::reports
