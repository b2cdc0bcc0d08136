#include "chunkbench/reports/gnuplot.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "chunkbench/error.hpp"
#include "chunkbench/netem/process.hpp"

namespace chunkbench::reports {

namespace {

// A private directory for one gnuplot run, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "chunkbench-plot-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw_errno("mkdtemp " + tmpl);
    path_ = tmpl;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string quote_gnuplot(const std::string& path) {
  std::string out = "'";
  for (char c : path) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

bool gnuplot_available(const std::string& gnuplot) {
  try {
    return netem::run_command({gnuplot, "--version"}).status == 0;
  } catch (const Error&) {
    return false;
  }
}

std::string gnuplot_svg(const std::string& script, const std::string& gnuplot) {
  ScratchDir dir;
  const auto script_path = dir.path() / "chart.gp", svg_path = dir.path() / "chart.svg";
  {
    std::ofstream out(script_path);
    out << "set output " << quote_gnuplot(svg_path.string()) << "\n" << script << "\nunset output\n";
    if (!out) throw Error(Errc::io, "write " + script_path.string());
  }
  netem::CommandResult run;
  try {
    run = netem::run_command({gnuplot, script_path.string()});
  } catch (const Error& e) {
    throw Error(Errc::not_found, "cannot run " + gnuplot + " (install gnuplot-nox): " + e.what());
  }
  if (run.status == 127) throw Error(Errc::not_found, "cannot run " + gnuplot + " (install gnuplot-nox)");
  if (run.status != 0) throw Error(Errc::invalid_input, "gnuplot failed (exit " + std::to_string(run.status) + "): " + run.output);
  std::ifstream in(svg_path);
  std::stringstream svg;
  svg << in.rdbuf();
  std::string text = svg.str();
  const auto start = text.find("<svg");
  if (start == std::string::npos) throw Error(Errc::invalid_input, "gnuplot wrote no SVG: " + run.output);
  return text.substr(start);
}

}  // namespace chunkbench::reports
