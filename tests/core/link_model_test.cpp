// The link model as pure functions: the window covers the bandwidth-delay product, the HTTP/2
// connections let slow start reach it, both within their bounds.
#include <gtest/gtest.h>

#include "chunkbench/extract.hpp"
#include "chunkbench/link_model.hpp"

namespace chunkbench {
namespace {

const LinkEstimate kSeed{1.0, 50e6 / 8};  // 500 ms each way, 50 Mbit/s: 6.25 MB in flight

TEST(LinkModel, WindowCoversTheProductWithHeadroom) {
  // 1.5 x 6.25 MB in answers of 29 KB (the seed's 64 KiB chunks compressed): 324 requests.
  EXPECT_EQ(window_for_link(kSeed, 29e3, 4, 10000), 324u);
  // Twice the round trip, twice the window.
  EXPECT_EQ(window_for_link({2.0, kSeed.rate}, 29e3, 4, 10000), 647u);
  // 2 MiB chunks: a handful.
  EXPECT_EQ(window_for_link(kSeed, 2.0 * 1024 * 1024, 4, 10000), 5u);
}

TEST(LinkModel, WindowStaysInItsBounds) {
  EXPECT_EQ(window_for_link(kSeed, 29e3, 4, 100), 100u);          // the memory cap
  EXPECT_EQ(window_for_link({1e-4, kSeed.rate}, 29e3, 16, 100), 16u);  // loopback: the floor
  EXPECT_EQ(window_for_link({}, 29e3, 8, 100), 8u);               // nothing measured yet
  EXPECT_EQ(window_for_link(kSeed, 0, 8, 100), 8u);               // no answer size
  EXPECT_EQ(window_for_link(kSeed, 29e3, 0, 0), 1u);              // degenerate bounds
}

TEST(LinkModel, ConnectionsLetSlowStartReachTheProduct) {
  // 6.25 MB / (10 segments x 1448 B x 2^4) = 27 connections.
  EXPECT_EQ(connections_for_link(kSeed, 1000, 64), 27u);
  EXPECT_EQ(connections_for_link(kSeed, 1000, 16), 16u);  // the cap
  EXPECT_EQ(connections_for_link(kSeed, 5, 64), 5u);      // no more than requests in flight
  EXPECT_EQ(connections_for_link({1e-4, kSeed.rate}, 1000, 64), 1u);  // loopback: one
  EXPECT_EQ(connections_for_link({}, 1000, 64), 1u);
}

TEST(LinkModel, RateOnlyGrows) {
  EXPECT_DOUBLE_EQ(grown_rate(1e6, 4'000'000, 2.0), 2e6);
  EXPECT_DOUBLE_EQ(grown_rate(3e6, 4'000'000, 2.0), 3e6);
  EXPECT_DOUBLE_EQ(grown_rate(3e6, 4'000'000, 0.0), 3e6);
}

TEST(LinkModel, ExtractOptionsFollowTheLinkUnlessAWindowIsGiven) {
  Index idx;
  idx.sizes = {16 * 1024, 64 * 1024, 256 * 1024};
  HttpOptions h = link_http({}, idx, 0, 6.25e6, 256u << 20);
  EXPECT_EQ(h.in_flight, default_window(idx));
  EXPECT_EQ(h.max_in_flight, 4096u);  // 256 MiB of 64 KiB chunks
  EXPECT_DOUBLE_EQ(h.link_rate, 6.25e6);
  EXPECT_DOUBLE_EQ(h.expected_body, 64 * 1024);
  HttpOptions fixed = link_http({}, idx, 32, 6.25e6, 256u << 20);
  EXPECT_EQ(fixed.in_flight, 32u);
  EXPECT_EQ(fixed.max_in_flight, 32u);
  EXPECT_EQ(fixed.link_rate, 0);
}

}  // namespace
}  // namespace chunkbench
