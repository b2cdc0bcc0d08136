// The regression gate on synthetic runs with 3 % lognormal noise: a planted 5 % slowdown of every
// cell is caught at the matrix level, unchanged reruns stay quiet, and too few pairs give no verdict.
#include "chunkbench/reports/compare.hpp"

#include <gtest/gtest.h>

#include "chunkbench/error.hpp"
#include "synthetic.hpp"

using namespace chunkbench::reports;

namespace {

int cell_regressions(const Comparison& c) {
  int n = 0;
  for (const auto& cell : c.cells) n += cell.verdict == Verdict::regression;
  return n;
}

}  // namespace

TEST(Compare, FlagsAPlantedFivePercentMatrixWideSlowdown) {
  const auto base = synthetic::run(11, 1.0, "", 5);
  const auto slow = synthetic::run(12, 1.05, "", 5);
  const auto c = compare(base, slow, {});
  EXPECT_EQ(c.matrix.verdict, Verdict::regression) << render_comparison(c);
  EXPECT_GT(c.matrix.cells, 40);
  EXPECT_GT(c.matrix.ci.low, 1.0);
  // 5 % is below the per-cell threshold: the matrix catches what no single cell can.
  EXPECT_EQ(cell_regressions(c), 0) << render_comparison(c);
  EXPECT_EQ(c.verdict, Verdict::regression);
  EXPECT_EQ(c.exit_code(), 1);
}

TEST(Compare, StaysQuietOnTwentyUnchangedAbReruns) {
  for (std::uint64_t seed = 100; seed < 120; ++seed) {
    const auto base = synthetic::run(seed, 1.0, "base", 5);
    const auto same = synthetic::run(seed + 1000, 1.0, "new", 5);
    auto all = base;
    all.insert(all.end(), same.begin(), same.end());
    const auto [b, n] = split_ab(all);
    const auto c = compare(b, n, {});
    EXPECT_EQ(c.verdict, Verdict::pass) << "seed " << seed << "\n" << render_comparison(c);
    EXPECT_EQ(cell_regressions(c), 0) << "seed " << seed;
    EXPECT_LT(c.matrix.geomean, 1.03) << "seed " << seed;
    EXPECT_EQ(c.exit_code(), 0);
  }
}

TEST(Compare, FlagsOneCellTwentyPercentSlower) {
  const auto base = synthetic::run(21, 1.0, "", 5);
  auto slow = synthetic::run(22, 1.0, "", 5);
  const std::string victim = "update-64k-h2-n4-store-far-50mbit-chunkbench";
  for (auto& r : slow)
    if (r.cell_id == victim) r.wall_seconds *= 1.2;
  const auto c = compare(base, slow, {});
  ASSERT_EQ(cell_regressions(c), 1) << render_comparison(c);
  for (const auto& cell : c.cells)
    if (cell.verdict == Verdict::regression) {
      EXPECT_EQ(cell.cell_id, victim);
    }
  EXPECT_EQ(c.exit_code(), 1);
}

TEST(Compare, NoVerdictBelowFivePairs) {
  const auto base = synthetic::run(31, 1.0, "", 4);
  const auto slow = synthetic::run(32, 1.5, "", 4);
  const auto c = compare(base, slow, {});
  for (const auto& cell : c.cells) {
    EXPECT_EQ(cell.pairs, 4);
    EXPECT_EQ(cell.verdict, Verdict::no_verdict) << cell.cell_id;
  }
  EXPECT_EQ(c.matrix.verdict, Verdict::no_verdict);
  EXPECT_EQ(c.exit_code(), 2);
  // Failed repetitions do not count as pairs: 5 repetitions with one failure is still 4 pairs.
  auto five = synthetic::run(33, 1.0, "", 5);
  auto five_new = synthetic::run(34, 1.0, "", 5);
  for (auto& r : five_new)
    if (r.repetition == 0) r.status = "failed";
  EXPECT_EQ(compare(five, five_new, {}).exit_code(), 2);
}

TEST(Compare, IsDeterministicAndSerializes) {
  const auto base = synthetic::run(41, 1.0, "", 5);
  const auto slow = synthetic::run(42, 1.02, "", 5);
  const nlohmann::json a = compare(base, slow, {}), b = compare(base, slow, {});
  EXPECT_EQ(a, b);
  EXPECT_EQ(a["schema"], "chunkbench.compare/1");
  EXPECT_EQ(a["cells"].size(), synthetic::cells().size());
  EXPECT_EQ(a["matrix"]["ci"].size(), 2u);
}

TEST(Compare, SplitAbNeedsBothSides) {
  const auto base = synthetic::run(1, 1.0, "base", 1);
  EXPECT_THROW(split_ab(base), chunkbench::Error);
}
