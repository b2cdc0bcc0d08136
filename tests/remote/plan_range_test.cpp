// The range and auto parts of the plan, and the FetchStats summary, without a network.
#include <gtest/gtest.h>

#include "chunkbench/fetch_stats.hpp"
#include "chunkbench/plan.hpp"

namespace chunkbench {
namespace {

// An index of `n` chunks of `len` bytes with distinct ids (id byte 0..n-1).
Index make_index(std::size_t n, std::uint64_t len) {
  Index idx(DigestKind::sha512_256, ChunkSizes{len / 4, len, len * 4});
  for (std::size_t i = 0; i < n; ++i) {
    IndexEntry e;
    e.end = (i + 1) * len;
    e.id.bytes[0] = static_cast<std::uint8_t>(i);
    e.id.bytes[1] = static_cast<std::uint8_t>(i >> 8);
    e.id.bytes[31] = 1;
    idx.entries.push_back(e);
  }
  return idx;
}

TEST(PlanRange, RangeModeCutsGapsIntoSpansOfAtMostMaxSpan) {
  Index idx = make_index(100, 1000);
  Plan p = Plan::build(idx, {});
  ASSERT_EQ(p.chunks_store, 100u);
  PlanOptions o;
  o.remote = PlanOptions::Remote::range;
  o.max_span = 3500;  // three chunks fit, four do not
  p.choose_remote(idx, o);
  EXPECT_EQ(p.chunks_store, 0u);
  EXPECT_EQ(p.chunks_range, 100u);
  EXPECT_EQ(p.bytes_range, 100000u);
  EXPECT_EQ(p.range_requests, 34u);  // 33 spans of 3 and one of 1
  std::size_t next = 0;
  for (const auto& s : p.steps) {
    ASSERT_EQ(s.source, PlanStep::Source::range);
    EXPECT_EQ(s.first, next);
    EXPECT_LE(s.count, 3u);
    next = s.first + s.count;
  }
  EXPECT_EQ(next, 100u);
  EXPECT_EQ(p.gaps, 1u);
  EXPECT_EQ(p.gaps_to_range, 1u);
}

TEST(PlanRange, ChunkLargerThanMaxSpanGoesAlone) {
  Index idx = make_index(3, 5000);
  Plan p = Plan::build(idx, {});
  PlanOptions o;
  o.remote = PlanOptions::Remote::range;
  o.max_span = 100;
  p.choose_remote(idx, o);
  EXPECT_EQ(p.range_requests, 3u);
}

TEST(PlanRange, AutoPrefersRangeOnLongRoundTripsAndStoreWhenCompressionWins) {
  Index idx = make_index(200, 65536);
  PlanOptions o;
  o.remote = PlanOptions::Remote::automatic;
  o.cost.compression = 0.5;
  o.cost.in_flight = 16;
  o.cost.bandwidth = 6.25e6;
  o.cost.rtt = 1.0;  // 200 store requests / 16 in flight = 12.5 RTTs against 2 Range requests
  Plan far = Plan::build(idx, {});
  far.choose_remote(idx, o);
  EXPECT_EQ(far.gaps_to_range, 1u);
  EXPECT_EQ(far.chunks_store, 0u);
  o.cost.rtt = 0.0001;  // now half the bytes matter more than the requests
  Plan near = Plan::build(idx, {});
  near.choose_remote(idx, o);
  EXPECT_EQ(near.gaps_to_store, 1u);
  EXPECT_EQ(near.chunks_range, 0u);
  EXPECT_GT(far.estimated_seconds, near.estimated_seconds);
}

TEST(PlanRange, StoreModeLeavesThePlanAlone) {
  Index idx = make_index(10, 1000);
  Plan p = Plan::build(idx, {});
  auto before = p.steps.size();
  p.choose_remote(idx, PlanOptions{});
  EXPECT_EQ(p.steps.size(), before);
  EXPECT_EQ(p.chunks_store, 10u);
  EXPECT_EQ(p.unique_store, 10u);
  EXPECT_EQ(p.range_requests, 0u);
}

TEST(PlanRange, ParsesModes) {
  EXPECT_EQ(parse_remote("auto"), PlanOptions::Remote::automatic);
  EXPECT_EQ(parse_remote("range"), PlanOptions::Remote::range);
  EXPECT_EQ(parse_remote("store"), PlanOptions::Remote::store);
  EXPECT_THROW(parse_remote("fast"), std::exception);
}

TEST(FetchStatsSummary, NearestRankPercentilesAndCounts) {
  FetchStats st;
  for (int i = 1; i <= 100; ++i) {
    RequestRecord r;
    r.start = 0;
    r.first_byte = i * 0.001;
    r.end = i * 0.01;
    r.bytes = 10;
    r.protocol = "2";
    r.connects = i == 1 ? 1 : 0;
    r.attempt = i > 95 ? 1 : 0;
    r.status = i > 98 ? 503 : 200;
    st.add(r);
  }
  FetchSummary s = st.summary();
  EXPECT_EQ(s.requests, 100u);
  EXPECT_EQ(s.retries, 5u);
  EXPECT_EQ(s.failed, 2u);
  EXPECT_EQ(s.bytes, 1000u);
  EXPECT_EQ(s.connections, 1u);
  EXPECT_EQ(s.protocols["2"], 100u);
  EXPECT_DOUBLE_EQ(s.request_seconds.p50, 0.50);
  EXPECT_DOUBLE_EQ(s.request_seconds.p90, 0.90);
  EXPECT_DOUBLE_EQ(s.request_seconds.p99, 0.99);
  EXPECT_DOUBLE_EQ(s.ttfb_seconds.p50, 0.050);
  EXPECT_DOUBLE_EQ(s.wall_seconds, 1.0);
}

}  // namespace
}  // namespace chunkbench
