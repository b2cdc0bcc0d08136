// Shards of a run, merged, are the run: same results, same files; conflicting duplicates are refused.
#include "chunkbench/reports/merge.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "chunkbench/error.hpp"
#include "synthetic.hpp"

namespace fs = std::filesystem;
using namespace chunkbench::reports;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("cb-merge-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

}  // namespace

TEST(Merge, ShardsMergeToTheSingleRun) {
  TempDir tmp;
  const auto results = synthetic::run(5, 1.0, "", 3);
  for (const auto& r : results) write_result(tmp.path / "one", r);
  // Three shards split by cell, and one result copied into a second shard (a retried CI job).
  for (std::size_t i = 0; i < results.size(); ++i) {
    write_result(tmp.path / ("shard" + std::to_string(i % 3)), results[i]);
    if (i == 7) write_result(tmp.path / "shard2", results[i]);
  }
  const auto summary =
      merge_runs({tmp.path / "shard0", tmp.path / "shard1", tmp.path / "shard2"}, tmp.path / "merged");
  EXPECT_EQ(summary.read, results.size() + 1);
  EXPECT_EQ(summary.written, results.size());
  EXPECT_EQ(summary.duplicates, 1u);
  EXPECT_EQ(read_results({tmp.path / "merged"}), read_results({tmp.path / "one"}));
  for (const auto& e : fs::directory_iterator(tmp.path / "one" / "results"))
    EXPECT_TRUE(fs::exists(tmp.path / "merged" / "results" / e.path().filename())) << e.path();
}

TEST(Merge, ConflictingDuplicatesAreAnErrorNamingTheCell) {
  auto a = synthetic::run(6, 1.0, "", 1);
  auto b = a;
  b[3].wall_seconds += 1;
  a.push_back(b[3]);
  try {
    merge_results(a);
    FAIL() << "conflict accepted";
  } catch (const chunkbench::Error& e) {
    EXPECT_NE(std::string(e.what()).find(b[3].cell_id + " repetition 0"), std::string::npos) << e.what();
  }
}

TEST(Merge, AbSidesAreDifferentResults) {
  TempDir tmp;
  auto base = synthetic::run(7, 1.0, "base", 1);
  auto neu = synthetic::run(8, 1.0, "new", 1);
  for (const auto& r : base) write_result(tmp.path / "ab", r);
  for (const auto& r : neu) write_result(tmp.path / "ab", r);
  EXPECT_EQ(read_results({tmp.path / "ab"}).size(), base.size() + neu.size());
  EXPECT_EQ(merge_results(read_results({tmp.path / "ab"})).size(), base.size() + neu.size());
}
