// `chunkbench report`, `report merge` and `report compare` as a CI job runs them: exit codes, JSON
// output, and every output file written.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chunkbench/reports/result.hpp"
#include "synthetic.hpp"

namespace fs = std::filesystem;
using namespace chunkbench::reports;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("cb-cli-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

struct Run {
  int status = -1;
  std::string out, err;
};

Run run_cli(const TempDir& tmp, const std::string& args) {
  const auto out = tmp.path / "stdout", err = tmp.path / "stderr";
  const std::string cmd = std::string(CHUNKBENCH_BIN) + " " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
  const int rc = std::system(cmd.c_str());
  Run r;
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  std::stringstream o, e;
  o << std::ifstream(out).rdbuf();
  e << std::ifstream(err).rdbuf();
  r.out = o.str();
  r.err = e.str();
  return r;
}

void write_run(const fs::path& dir, const std::vector<Result>& results) {
  for (const auto& r : results) write_result(dir, r);
}

std::string slurp(const fs::path& p) {
  std::stringstream s;
  s << std::ifstream(p).rdbuf();
  return s.str();
}

}  // namespace

TEST(ReportCli, CompareExitCodes) {
  TempDir tmp;
  const auto base = tmp.path / "base", same = tmp.path / "same", slow = tmp.path / "slow", few = tmp.path / "few";
  write_run(base, synthetic::run(51));
  write_run(same, synthetic::run(52));
  write_run(slow, synthetic::run(53, 1.05));
  write_run(few, synthetic::run(54, 1.0, "", 3));

  auto r = run_cli(tmp, "report compare " + base.string() + " " + same.string());
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("verdict: pass"), std::string::npos) << r.out;

  r = run_cli(tmp, "report compare " + base.string() + " " + slow.string() + " --json");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "chunkbench.compare/1");
  EXPECT_EQ(j["matrix"]["verdict"], "regression");
  EXPECT_EQ(j["exit_code"], 1);

  // A higher matrix threshold lets the same 5 % through.
  r = run_cli(tmp, "report compare " + base.string() + " " + slow.string() + " --matrix-threshold 1.08");
  EXPECT_EQ(r.status, 0) << r.out << r.err;

  r = run_cli(tmp, "report compare " + base.string() + " " + few.string());
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.out.find("no verdict"), std::string::npos) << r.out;

  r = run_cli(tmp, "report compare " + base.string() + " " + (tmp.path / "missing").string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find((tmp.path / "missing").string()), std::string::npos) << r.err;

  r = run_cli(tmp, "report compare " + base.string() + " " + same.string() + " --threshold 0.5");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--threshold"), std::string::npos) << r.err;
}

TEST(ReportCli, CompareOneAbRun) {
  TempDir tmp;
  const auto ab = tmp.path / "ab";
  write_run(ab, synthetic::run(61, 1.0, "base"));
  write_run(ab, synthetic::run(62, 1.0, "new"));
  auto r = run_cli(tmp, "report compare " + ab.string());
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  write_run(tmp.path / "ab-slow", synthetic::run(63, 1.0, "base"));
  write_run(tmp.path / "ab-slow", synthetic::run(64, 1.06, "new"));
  r = run_cli(tmp, "report compare " + (tmp.path / "ab-slow").string());
  EXPECT_EQ(r.status, 1) << r.out << r.err;
}

TEST(ReportCli, MergeAndEveryOutput) {
  TempDir tmp;
  auto results = synthetic::run(71, 1.0, "", 2);
  results[0].status = "failed";
  results[0].error = "extract: chunk 1234 missing";
  for (std::size_t i = 0; i < results.size(); ++i) write_result(tmp.path / ("shard" + std::to_string(i % 2)), results[i]);
  auto r = run_cli(tmp, "report merge " + (tmp.path / "shard0").string() + " " + (tmp.path / "shard1").string() +
                               " -o " + (tmp.path / "merged").string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_results({tmp.path / "merged"}).size(), results.size());

  // A conflicting copy of one result in a third shard is refused, naming the cell.
  auto conflict = results[3];
  conflict.wall_seconds *= 2;
  write_result(tmp.path / "shard2", conflict);
  r = run_cli(tmp, "report merge " + (tmp.path / "shard0").string() + " " + (tmp.path / "shard1").string() + " " +
                          (tmp.path / "shard2").string() + " -o " + (tmp.path / "bad").string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find(conflict.cell_id), std::string::npos) << r.err;

  const auto out = tmp.path / "out";
  fs::create_directories(out);
  r = run_cli(tmp, "report " + (tmp.path / "merged").string() + " --markdown " + (out / "s.md").string() + " --csv " +
                          (out / "r.csv").string() + " --gbench " + (out / "g.json").string() + " --gab " +
                          (out / "gab.json").string() + " --junit " + (out / "j.xml").string());
  ASSERT_EQ(r.status, 0) << r.err;
  const auto md = slurp(out / "s.md");
  EXPECT_NE(md.find("| tool | protocol |"), std::string::npos);
  EXPECT_NE(md.find("chunk 1234 missing"), std::string::npos);
  EXPECT_NE(md.find("fastest at 64K chunks"), std::string::npos) << md;
  // CSV: a header and one row per result.
  const auto csv = slurp(out / "r.csv");
  EXPECT_EQ(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')), results.size() + 1);
  // Google Benchmark: one iteration entry per ok repetition, in ms.
  const auto g = nlohmann::json::parse(slurp(out / "g.json"));
  EXPECT_EQ(g["benchmarks"].size(), results.size() - 1);
  EXPECT_EQ(g["benchmarks"][0]["time_unit"], "ms");
  EXPECT_EQ(g["benchmarks"][0]["run_type"], "iteration");
  const auto gab = nlohmann::json::parse(slurp(out / "gab.json"));
  EXPECT_EQ(gab[0]["unit"], "s");
  EXPECT_TRUE(gab[0]["value"].is_number());
  // JUnit: one case per cell, the failed one fails.
  const auto xml = slurp(out / "j.xml");
  EXPECT_EQ(static_cast<std::size_t>(std::count(xml.begin(), xml.end(), '\n')) > synthetic::cells().size(), true);
  std::size_t cases = 0;
  for (auto p = xml.find("<testcase "); p != std::string::npos; p = xml.find("<testcase ", p + 1)) ++cases;
  EXPECT_EQ(cases, synthetic::cells().size());
  EXPECT_NE(xml.find("failures=\"1\""), std::string::npos);
  EXPECT_NE(xml.find("chunk 1234 missing"), std::string::npos);

  r = run_cli(tmp, "report " + (tmp.path / "merged").string());
  EXPECT_EQ(r.status, 2) << "no output asked for";
  fs::create_directories(tmp.path / "empty" / "results");
  r = run_cli(tmp, "report " + (tmp.path / "empty").string() + " --csv " + (out / "x.csv").string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("no results in " + (tmp.path / "empty").string()), std::string::npos) << r.err;
  r = run_cli(tmp, "report " + (tmp.path / "nothing").string() + " --csv " + (out / "x.csv").string());
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find((tmp.path / "nothing").string()), std::string::npos) << r.err;
}
