// Running small matrices for real (root: network namespaces): a run killed with SIGKILL resumes
// without running a cell twice; shards merged equal one run; peers finish and verify.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "chunkbench/bench/cell.hpp"
#include "chunkbench/bench/matrix.hpp"
#include "chunkbench/reports/result.hpp"
#include "test_util.hpp"

namespace chunkbench::test {
namespace {

namespace fs = std::filesystem;

void write_text(const std::string& path, const std::string& text) { write_file(path, std::vector<std::uint8_t>(text.begin(), text.end())); }

// A synthetic image (the same bytes on every machine), small enough that a cell takes about a second.
std::string tiny_matrix(bool peers, int reps) {
  return R"({"schema": "chunkbench.matrix/1", "name": "tiny",
    "image": {"kind": "synthetic", "size": "4MiB", "change": "5%", "seed": 3},
    "axes": {"case": ["full", "update"], "chunk": ["16:64:256"], "protocol": ["2"], "in_flight": [4, 16], "scenario": ["none"]},
    "repetitions": )" + std::to_string(reps) + R"(, "cell_timeout": "60s", "peers": )" + (peers ? "true" : "false") + "}";
}

class BenchRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "running a matrix needs root (network namespaces)";
    if (!have_program("ip")) GTEST_SKIP() << "iproute2 (ip) is not installed";
  }
  std::string bench_cmd(const std::string& matrix, const std::string& out, const std::string& extra = "") {
    return chunkbench_bin() + " bench " + matrix + " --out " + out + " --cache " + (tmp / "cache") + " --work " + (tmp / "work") + " " + extra;
  }
  // (cell id, repetition) -> file content of every result under `dir`.
  static std::map<std::pair<std::string, int>, std::string> results(const std::string& dir) {
    std::map<std::pair<std::string, int>, std::string> out;
    for (const auto& r : reports::read_results({dir})) {
      auto bytes = read_file((reports::results_dir(dir) / reports::result_file_name(r)).string());
      EXPECT_TRUE(out.emplace(std::pair{r.cell_id, r.repetition}, std::string(bytes.begin(), bytes.end())).second) << r.cell_id;
    }
    return out;
  }
  TempDir tmp;
};

TEST_F(BenchRun, ResumesAfterSigkillWithoutRunningACellTwice) {
  write_text(tmp / "m.json", tiny_matrix(false, 2));
  const std::string out = tmp / "out";
  // Build the image and store first, so the kill lands in the middle of the cells.
  auto warm = run(bench_cmd(tmp / "m.json", tmp / "warm", "--cell full-64k-h2-n4-c0-s0-store-none-chunkbench --rep 0"));
  ASSERT_EQ(warm.status, 0) << warm.out;

  const std::string cmd = bench_cmd(tmp / "m.json", out, "--json >" + (tmp / "first.log") + " 2>&1");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), nullptr);
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    if (fs::is_directory(out + "/results"))
      for (const auto& e : fs::directory_iterator(out + "/results"))
        seen |= e.path().extension() == ".json" && e.path().filename().string()[0] != '.';
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  int st = 0;
  waitpid(pid, &st, 0);
  ASSERT_TRUE(seen) << "no result within 120 s:\n" << std::string(read_file(tmp / "first.log").begin(), read_file(tmp / "first.log").end());
  ASSERT_TRUE(WIFSIGNALED(st)) << "the run finished before it could be killed; the matrix is too small for this test";

  const auto before = results(out);
  ASSERT_GE(before.size(), 1u);
  ASSERT_LT(before.size(), 8u);
  auto again = run(bench_cmd(tmp / "m.json", out, "--json"));
  ASSERT_EQ(again.status, 0) << again.out;
  const auto summary = nlohmann::json::parse(again.out.substr(again.out.find("{\n")));
  EXPECT_EQ(summary["skipped"], before.size());
  EXPECT_EQ(summary["ran"], 8 - before.size());
  std::set<std::pair<std::string, int>> ran_now;
  for (const auto& r : summary["results"]) {
    const std::pair<std::string, int> key{r["cell_id"].get<std::string>(), r["repetition"].get<int>()};
    EXPECT_TRUE(ran_now.insert(key).second) << "ran twice in one run: " << key.first;
    EXPECT_FALSE(before.count(key)) << "ran again after the kill: " << key.first;
    EXPECT_EQ(r["status"], "ok") << r["error"];
  }
  const auto after = results(out);
  EXPECT_EQ(after.size(), 8u);
  for (const auto& [key, text] : before) EXPECT_EQ(after.at(key), text) << key.first << " was rewritten";
  for (const auto& e : fs::directory_iterator(out + "/results")) EXPECT_NE(e.path().filename().string()[0], '.') << e.path();
}

// Two shards merged with `chunkbench report merge` hold the same cells as one run, in the same schema; peers
// (casync and the bare h2load transfer) finish, and every output verified.
TEST_F(BenchRun, ShardsMergeToOneRunWithPeers) {
  if (!have_program("casync") || !have_program("h2load")) GTEST_SKIP() << "casync or h2load is not installed";
  write_text(tmp / "m.json", tiny_matrix(true, 1));
  auto whole = run(bench_cmd(tmp / "m.json", tmp / "whole"));
  ASSERT_EQ(whole.status, 0) << whole.out;
  for (int i : {1, 2}) {
    auto part = run(bench_cmd(tmp / "m.json", tmp / ("shard" + std::to_string(i)), "--shard " + std::to_string(i) + "/2"));
    ASSERT_EQ(part.status, 0) << part.out;
  }
  auto merged = run(chunkbench_bin() + " report merge " + (tmp / "shard1") + " " + (tmp / "shard2") + " -o " + (tmp / "merged"));
  ASSERT_EQ(merged.status, 0) << merged.out;

  const auto one = reports::read_results({tmp / "whole"});
  const auto two = reports::read_results({tmp / "merged"});
  ASSERT_EQ(one.size(), 2u * (2 + 1 + 1));
  ASSERT_EQ(two.size(), one.size());
  std::set<std::string> tools;
  for (std::size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].cell_id, two[i].cell_id);
    EXPECT_EQ(one[i].repetition, two[i].repetition);
    EXPECT_EQ(one[i].cell, two[i].cell);
    EXPECT_EQ(one[i].status, "ok") << one[i].cell_id << ": " << one[i].error;
    EXPECT_EQ(two[i].status, "ok") << two[i].cell_id << ": " << two[i].error;
    nlohmann::json a, b;
    reports::to_json(a, one[i]);
    reports::to_json(b, two[i]);
    std::set<std::string> ka, kb;
    for (const auto& [k, v] : a.items()) ka.insert(k);
    for (const auto& [k, v] : b.items()) kb.insert(k);
    EXPECT_EQ(ka, kb) << one[i].cell_id;
    tools.insert(one[i].cell.tool);
    EXPECT_GT(one[i].payload_bytes, 0u) << one[i].cell_id;
    EXPECT_GT(one[i].wire_bytes, 0u) << one[i].cell_id;
    EXPECT_GT(one[i].requests, 0u) << one[i].cell_id;
    EXPECT_FALSE(one[i].protocol_negotiated.empty()) << one[i].cell_id;
    // Unshaped: the rate comes from the bare transfer of the same group.
    EXPECT_EQ(one[i].rate_source, "bare-transfer") << one[i].cell_id;
    EXPECT_GT(one[i].efficiency, 0) << one[i].cell_id;
    EXPECT_FALSE(one[i].metadata.kernel.empty());
    EXPECT_FALSE(one[i].metadata.link_backend.empty());
  }
  EXPECT_EQ(tools, (std::set<std::string>{"chunkbench", "casync", "bare"}));
}

}  // namespace
}  // namespace chunkbench::test
