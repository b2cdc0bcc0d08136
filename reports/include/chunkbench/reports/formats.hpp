#pragma once
// The text outputs of a run, each a pure function of its results (the caller writes the file):
// the Markdown summary a CI job posts, CSV for spreadsheets, and formats other tools already read.
#include <string>
#include <vector>

#include "chunkbench/reports/result.hpp"

namespace chunkbench::reports {

// Per scenario and case, a table of cells (medians of repetitions, efficiency), the fastest
// configuration per chunk size, failed cells, and the run's metadata in one line.
std::string render_markdown(const std::vector<Result>& results);
// One row per result (repetition), RFC 4180 quoting, a header row.
std::string render_csv(const std::vector<Result>& results);
// Google Benchmark JSON: one "iteration" entry per ok repetition, named by cell id (A/B side appended),
// real_time = wall time and cpu_time = client CPU time in ms, so tools/compare.py can compare two runs.
std::string render_gbench_json(const std::vector<Result>& results);
// github-action-benchmark `customSmallerIsBetter`: one entry per cell, the median wall time in seconds.
std::string render_gab_json(const std::vector<Result>& results);
// JUnit XML for GitLab's test report: one test case per cell; a failed repetition fails it, a timed-out
// peer (casync, bare) is skipped (its time is a lower bound), a timed-out chunkbench cell fails.
std::string render_junit(const std::vector<Result>& results);

}  // namespace chunkbench::reports
