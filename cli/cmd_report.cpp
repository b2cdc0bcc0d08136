#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/reports/compare.hpp"
#include "chunkbench/reports/formats.hpp"
#include "chunkbench/reports/html.hpp"
#include "chunkbench/reports/merge.hpp"
#include "chunkbench/reports/result.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> input_paths(const Args& args, const char* what) {
  if (args.positionals().empty()) throw Error(Errc::usage, args.command() + ": give at least one " + what);
  return {args.positionals().begin(), args.positionals().end()};
}

void write_output(const std::string& path, const std::string& text) {
  write_file_atomic(path, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

double ratio_option(const Args& args, const std::string& name, double fallback) {
  const auto v = args.maybe(name);
  if (!v) return fallback;
  char* end = nullptr;
  const double d = std::strtod(v->c_str(), &end);
  if (end == v->c_str() || *end || !(d > 1 && d < 100))
    throw Error(Errc::usage, args.command() + ": --" + name + " wants a ratio above 1, like 1.10 (got '" + *v + "')");
  return d;
}

int run_merge(int argc, char** argv) {
  Args args("report merge", "DIR... -o OUT",
            "Joins the outputs of sharded runs (chunkbench bench --shard i/n) into OUT/results/, the result one\n"
            "run gives. Identical duplicates collapse; two different results for one cell and repetition are an\n"
            "error naming them.");
  args.option("output", 'o', "OUT", "run directory to write (its results/ may already hold results)");
  args.flag("json", 0, "print the summary as JSON");
  if (!args.parse(argc, argv, 3)) return 0;
  if (!args.has("output")) throw Error(Errc::usage, "report merge: give the output directory with -o");
  const auto s = reports::merge_runs(input_paths(args, "run directory"), args.get("output"));
  if (args.has("json"))
    std::printf("%s\n", nlohmann::json{{"schema", "chunkbench.merge/1"}, {"read", s.read}, {"written", s.written},
                                       {"duplicates", s.duplicates}, {"output", args.get("output")}}
                            .dump(2)
                            .c_str());
  else
    std::printf("merged %zu results into %zu in %s (%zu identical duplicates dropped)\n", s.read, s.written,
                args.get("output").c_str(), s.duplicates);
  return 0;
}

reports::Comparison comparison(const Args& args) {
  reports::CompareOptions o;
  o.threshold = ratio_option(args, "threshold", o.threshold);
  o.matrix_threshold = ratio_option(args, "matrix-threshold", o.matrix_threshold);
  o.seed = static_cast<std::uint64_t>(args.get_int("seed", 1, 0, INT64_MAX));
  const auto& pos = args.positionals();
  if (pos.size() == 1) {
    const auto [base, candidate] = reports::split_ab(reports::read_results({pos[0]}));
    return reports::compare(base, candidate, o);
  }
  if (pos.size() != 2) throw Error(Errc::usage, "report compare: give BASELINE and NEW, or one A/B run directory");
  return reports::compare(reports::read_results({pos[0]}), reports::read_results({pos[1]}), o);
}

// Exit 2 on any error, not main's 1: 1 means "regression" to a CI gate.
int run_compare(int argc, char** argv) {
  Args args("report compare", "BASELINE NEW | AB_RUN [--threshold 1.10] [--matrix-threshold 1.03] [--json]",
            "Compares wall times, new over base, paired by cell and repetition (or, given one A/B run of\n"
            "'chunkbench bench --ab', by its base and new sides). Per cell: the median of the paired ratios\n"
            "with a 99 % bootstrap interval; a cell regresses at ratio >= --threshold with the interval above 1.\n"
            "The matrix regresses when the geometric mean of the cell ratios is >= --matrix-threshold with its\n"
            "interval above 1. Cells with fewer than 5 pairs get no verdict.\n"
            "Exit status: 0 pass, 1 regression, 2 error or no verdict at all.");
  args.option("threshold", 0, "RATIO", "per-cell regression threshold (default 1.10)");
  args.option("matrix-threshold", 0, "RATIO", "matrix regression threshold (default 1.03)");
  args.option("seed", 0, "N", "bootstrap seed (default 1; the result is a function of data and seed)");
  args.flag("json", 0, "print the comparison as JSON (schema chunkbench.compare/1)");
  try {
    if (!args.parse(argc, argv, 3)) return 0;
    const auto c = comparison(args);
    if (args.has("json"))
      std::printf("%s\n", nlohmann::json(c).dump(2).c_str());
    else
      std::fputs(reports::render_comparison(c).c_str(), stdout);
    return c.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "chunkbench report compare: error: %s\n", e.what());
    return 2;
  }
}

int run_render(int argc, char** argv) {
  Args args("report", "DIR... -o report.html [--markdown F] [--csv F] [--gbench F] [--gab F] [--junit F]",
            "Reads the results of one or more runs (run directories, results folders or result files) and\n"
            "writes a self-contained HTML report with gnuplot charts, plus the other formats asked for.\n"
            "Subcommands: 'chunkbench report merge --help', 'chunkbench report compare --help'.");
  args.option("output", 'o', "FILE", "HTML report to write");
  args.option("markdown", 0, "FILE", "Markdown summary (what a CI job posts)");
  args.option("csv", 0, "FILE", "CSV, one row per repetition");
  args.option("gbench", 0, "FILE", "Google Benchmark JSON (for its tools/compare.py)");
  args.option("gab", 0, "FILE", "github-action-benchmark customSmallerIsBetter JSON");
  args.option("junit", 0, "FILE", "JUnit XML, one test case per cell");
  args.option("title", 0, "TEXT", "title of the HTML report");
  if (!args.parse(argc, argv)) return 0;
  const std::vector<std::string> outputs = {"output", "markdown", "csv", "gbench", "gab", "junit"};
  if (std::none_of(outputs.begin(), outputs.end(), [&](const auto& o) { return args.has(o); }))
    throw Error(Errc::usage, "give at least one output (-o report.html, --markdown, --csv, ...)");
  const auto results = reports::merge_results(reports::read_results(input_paths(args, "run directory")));
  if (results.empty()) {
    std::string inputs;
    for (const auto& p : args.positionals()) inputs += (inputs.empty() ? "" : ", ") + p;
    throw Error(Errc::not_found, "no results in " + inputs);
  }
  if (args.has("output")) {
    reports::HtmlOptions o;
    o.title = args.get("title");
    o.sources = args.positionals();
    write_output(args.get("output"), reports::render_html(results, o));
  }
  if (args.has("markdown")) write_output(args.get("markdown"), reports::render_markdown(results));
  if (args.has("csv")) write_output(args.get("csv"), reports::render_csv(results));
  if (args.has("gbench")) write_output(args.get("gbench"), reports::render_gbench_json(results));
  if (args.has("gab")) write_output(args.get("gab"), reports::render_gab_json(results));
  if (args.has("junit")) write_output(args.get("junit"), reports::render_junit(results));
  for (const auto& o : outputs)
    if (args.has(o)) std::printf("wrote %s\n", args.get(o).c_str());
  return 0;
}

}  // namespace

int run_report(int argc, char** argv) {
  if (argc > 2 && !std::strcmp(argv[2], "merge")) return run_merge(argc, argv);
  if (argc > 2 && !std::strcmp(argv[2], "compare")) return run_compare(argc, argv);
  return run_render(argc, argv);
}

}  // namespace chunkbench::cli
