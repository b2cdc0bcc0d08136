// chunkbench bench: run a benchmark matrix (a file or a preset) into a results directory. The work
// is in chunkbench::bench; this file parses, reports progress and prints.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "chunkbench/bench/ab.hpp"
#include "chunkbench/bench/cell.hpp"
#include "chunkbench/bench/matrix.hpp"
#include "chunkbench/bench/runner.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/netem/netns.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {
namespace {

namespace fs = std::filesystem;

std::string default_cache_dir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/chunkbench";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/chunkbench";
  return "/var/tmp/chunkbench-cache";
}

// `--ab BASE NEW` takes two values, which Args does not do: they are lifted out of argv first.
std::vector<std::string> take_ab(int& argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ab") != 0) continue;
    if (i + 2 >= argc) throw Error(Errc::usage, "--ab needs two binaries, BASE_BIN NEW_BIN");
    std::vector<std::string> bins = {argv[i + 1], argv[i + 2]};
    for (int k = i; k + 3 < argc; ++k) argv[k] = argv[k + 3];
    argc -= 3;
    return bins;
  }
  return {};
}

nlohmann::json result_row(const reports::Result& r) {
  nlohmann::json j;
  reports::to_json(j, r);
  return j;
}

}  // namespace

int run_bench(int argc, char** argv) {
  Args a("bench", "MATRIX.json | --preset NAME --out DIR [OPTIONS]",
         "Run a benchmark matrix: every cell in fresh client and server network namespaces joined by the\n"
         "cell's emulated link (scenario 'none' = an unshaped link), the embedded server in one, the tool in\n"
         "the other, cold; outputs verified against the expected image by SHA-256. One result file per cell\n"
         "and repetition under DIR/results/ (chunkbench.bench.result/1), written atomically: a killed run\n"
         "resumes where it stopped. Images and stores are built once and cached (--cache).\n"
         "Presets: quick (about five minutes on two cores), seed (the seed's experiment).\n"
         "Needs root (network namespaces).\n\n"
         "example: chunkbench bench --preset quick --out out/quick && chunkbench report out/quick -o report.html\n"
         "A/B:     chunkbench bench --ab ./base/chunkbench ./new/chunkbench m.json --out out/ab --repetitions 5\n"
         "         chunkbench report compare out/ab");
  a.option("preset", 0, "NAME", "a built-in matrix: quick or seed")
      .option("out", 'o', "DIR", "results directory (DIR/results/*.json); required")
      .option("cache", 0, "DIR", "images and stores built for earlier runs (default $XDG_CACHE_HOME/chunkbench or ~/.cache/chunkbench)")
      .option("work", 0, "DIR", "scratch for outputs and logs (default /dev/shm/chunkbench-bench-PID: tmpfs)")
      .option("shard", 0, "I/N", "run only shard I of N (cells split by scenario, case and chunk size); 'report merge' joins them")
      .option("cell", 0, "ID", "run only this cell (ids: --list)")
      .option("rep", 0, "N", "run only repetition N (0-based)")
      .option("repetitions", 0, "N", "override the matrix's repetitions")
      .option("ab", 0, "BASE_BIN NEW_BIN", "A/B: run each cell with both binaries interleaved in a seeded random order,\n"
                                           "                              both sides' results in DIR, tagged metadata.ab_side (then: report compare DIR)")
      .option("ab-seed", 0, "N", "seed of the A/B order (default 1)")
      .option("ab-side", 0, "SIDE", "record metadata.ab_side = SIDE (set by --ab for each side)")
      .flag("list", 0, "print the cell ids of this matrix (and shard) and exit")
      .flag("json", 0, "print a JSON summary with every result instead of the table");
  const auto ab_bins = take_ab(argc, argv);
  if (!a.parse(argc, argv)) return 0;
  const auto& pos = a.positionals();
  if (pos.size() > 1 || (pos.empty() == !a.has("preset")))
    throw Error(Errc::usage, "give either a MATRIX.json or --preset NAME (see 'chunkbench bench --help')");
  bench::Matrix m = pos.empty() ? bench::preset(a.get("preset")) : bench::load_matrix(pos[0]);
  if (a.has("repetitions")) m.repetitions = static_cast<int>(a.get_int("repetitions", 1, 1, 1000));

  bench::RunOptions o;
  if (a.has("shard")) o.shard = bench::parse_shard(a.get("shard"));
  o.only_cell = a.get("cell");
  o.only_rep = static_cast<int>(a.get_int("rep", -1, 0, 999));
  o.ab_side = a.get("ab-side");
  if (a.has("list")) {
    for (const auto& j : bench::plan_jobs(m, o))
      if (j.repetition == (o.only_rep < 0 ? 0 : o.only_rep)) std::printf("%s\n", bench::cell_id(j.cell).c_str());
    return 0;
  }
  if (!a.has("out")) throw Error(Errc::usage, "--out DIR is required");
  o.out_dir = a.get("out");
  o.cache_dir = a.get("cache", default_cache_dir());
  o.work_dir = a.get("work", fs::is_directory("/dev/shm") ? "/dev/shm/chunkbench-bench-" + std::to_string(getpid())
                                                          : (fs::path(o.out_dir) / "work").string());
  const bool json = a.has("json");
  o.log = [json](const std::string& line) {
    end_status_line();
    if (!json) std::fprintf(stderr, "bench: %s\n", line.c_str());
  };
  o.on_cell_start = [](const bench::Cell& c, int rep, const bench::Progress& p) { status_line(p.status(bench::cell_id(c), rep)); };
  bool header = false;
  o.on_cell_done = [&](const reports::Result& r, const bench::Progress&) {
    end_status_line();
    if (json) return;
    if (!header) std::printf("%s\n", bench::Progress::table_header().c_str());
    header = true;
    std::printf("%s\n", bench::Progress::table_row(r).c_str());
    if (!r.ok()) std::printf("    %s\n", r.error.substr(0, 300).c_str());
    std::fflush(stdout);
  };

  if (!ab_bins.empty()) {
    bench::AbOptions ab;
    ab.base_bin = ab_bins[0];
    ab.new_bin = ab_bins[1];
    ab.matrix_args = pos.empty() ? std::vector<std::string>{"--preset", a.get("preset")} : std::vector<std::string>{fs::absolute(pos[0]).string()};
    ab.extra_args = {"--cache", o.cache_dir, "--repetitions", std::to_string(m.repetitions)};
    ab.out_dir = o.out_dir;
    ab.seed = static_cast<std::uint64_t>(a.get_int("ab-seed", 1, 0, 1LL << 62));
    ab.run = o;
    ab.on_side_start = [](const std::string& side, const bench::Job& j) {
      status_line(side + ": " + bench::cell_id(j.cell) + " r" + std::to_string(j.repetition));
    };
    auto s = bench::run_ab(m, ab);
    end_status_line();
    std::printf("A/B: %zu pairs, %zu side runs (%zu failed) in %.1f s; compare with: chunkbench report compare %s\n", s.pairs,
                s.side_runs, s.side_failures, s.seconds, o.out_dir.c_str());
    return s.side_failures ? 1 : 0;
  }

  netem::require_net_admin();
  struct RemoveWork {
    std::string dir;
    ~RemoveWork() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } remove_work{a.has("work") ? "" : o.work_dir};
  auto s = bench::run(m, o);
  end_status_line();
  if (json) {
    nlohmann::json j = {{"schema", "chunkbench.bench.run/1"}, {"matrix", m.name},       {"out", o.out_dir},
                        {"planned", s.planned},                {"skipped", s.skipped},  {"ran", s.ran},
                        {"failed", s.failed},                  {"capped", s.capped}, {"seconds", s.seconds},  {"results", nlohmann::json::array()}};
    for (const auto& r : s.results) j["results"].push_back(result_row(r));
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("bench %s: %zu cells run, %zu already done, %zu failed, %zu at the time cap (lower bounds), %.1f s; results in %s\n",
                m.name.c_str(), s.ran, s.skipped, s.failed, s.capped, s.seconds, reports::results_dir(o.out_dir).c_str());
  }
  return s.failed ? 1 : 0;
}

}  // namespace chunkbench::cli
