// Every fault the server can inject, observed from a real client over both protocols.
#include <gtest/gtest.h>

#include <ostream>

#include <chrono>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace cbtest;

namespace {

constexpr std::size_t kSize = 65536;

struct Proto {
  const char* name;
  long curl_version;
};

// Names the parameter in test listings (ctest shows it) instead of a byte dump.
void PrintTo(const Proto& p, std::ostream* os) { *os << p.name; }

class ServeFaults : public ::testing::TestWithParam<Proto> {
 protected:
  void SetUp() override {
    write_file(dir / "www/good/a.bin", pattern(kSize, 1));
    write_file(dir / "www/bad/b.bin", pattern(kSize, 2));
    write_file(dir / "www/small.bin", pattern(32768, 3));
  }
  std::unique_ptr<ServeProcess> start(std::vector<std::string> args) {
    return std::make_unique<ServeProcess>(dir / "www", args, dir);
  }
  FetchOptions opts(const ServeProcess& s) const {
    FetchOptions o;
    o.http_version = GetParam().curl_version;
    o.ca = s.ca();
    return o;
  }
  static nlohmann::json stats(const ServeProcess& s) { return nlohmann::json::parse(stats_text(s)); }
  TempDir dir;
};

TEST_P(ServeFaults, Http5xxBySubstring) {
  auto s = start({"--fault-5xx", "bad/"});
  EXPECT_EQ(fetch(s->url("/bad/b.bin"), opts(*s)).status, 503);
  EXPECT_EQ(fetch(s->url("/bad/b.bin"), opts(*s)).status, 503);
  FetchResult ok = fetch(s->url("/good/a.bin"), opts(*s));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, pattern(kSize, 1));
  EXPECT_EQ(stats(*s)["faults"]["http_5xx"], 2);
}

TEST_P(ServeFaults, Http5xxRateIsSeededAndReproducible) {
  auto statuses = [&](const std::string& seed) {
    auto s = start({"--fault-5xx-rate", "0.5", "--fault-seed", seed});
    std::string seq;
    for (int i = 0; i < 60; ++i) seq += fetch(s->url("/good/a.bin"), opts(*s)).status == 503 ? 'x' : '.';
    EXPECT_EQ(stats(*s)["faults"]["http_5xx"], std::count(seq.begin(), seq.end(), 'x'));
    return seq;
  };
  const std::string a = statuses("42"), b = statuses("42"), c = statuses("43");
  EXPECT_EQ(a, b);  // same seed, one loop: same sequence
  EXPECT_NE(a, c);
  const auto failures = std::count(a.begin(), a.end(), 'x');
  EXPECT_GT(failures, 10);
  EXPECT_LT(failures, 50);
}

TEST_P(ServeFaults, ResetMidBody) {
  auto s = start({"--fault-reset-rate", "1"});
  FetchResult r = fetch(s->url("/good/a.bin"), opts(*s));
  EXPECT_NE(r.rc, CURLE_OK) << "a reset transfer must fail";
  EXPECT_LT(r.body.size(), kSize);
  EXPECT_EQ(pattern(kSize, 1).substr(0, r.body.size()), r.body);  // what did arrive was right
  if (GetParam().curl_version == CURL_HTTP_VERSION_2TLS) {
    EXPECT_EQ(r.rc, CURLE_HTTP2_STREAM) << r.error;
  }
  EXPECT_EQ(stats(*s)["faults"]["reset"], 1);  // the stats endpoint itself is never faulted
}

TEST_P(ServeFaults, StallKeepsConnectionSilent) {
  auto s = start({"--fault-stall-rate", "1"});
  FetchOptions o = opts(*s);
  o.timeout_ms = 1500;
  const auto t0 = std::chrono::steady_clock::now();
  FetchResult r = fetch(s->url("/good/a.bin"), o);
  EXPECT_EQ(r.rc, CURLE_OPERATION_TIMEDOUT) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, pattern(kSize, 1).substr(0, kSize / 2));  // exactly half, then silence
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1400));
}

TEST_P(ServeFaults, CorruptFlipsOneByte) {
  auto s = start({"--fault-corrupt-rate", "1"});
  FetchResult r = fetch(s->url("/good/a.bin"), opts(*s));
  ASSERT_EQ(r.rc, CURLE_OK) << r.error;
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(r.body.size(), kSize);
  const std::string want = pattern(kSize, 1);
  int diffs = 0;
  for (std::size_t i = 0; i < kSize; ++i) diffs += r.body[i] != want[i];
  EXPECT_EQ(diffs, 1);
}

TEST_P(ServeFaults, SlowBodyIsPaced) {
  auto s = start({"--slow-body", "32768"});
  FetchResult r = fetch(s->url("/small.bin"), opts(*s));  // 32 KiB at 32 KiB/s
  ASSERT_EQ(r.rc, CURLE_OK) << r.error;
  EXPECT_EQ(r.body, pattern(32768, 3));
  const double body_time = r.total_s - r.start_transfer_s;
  // Pacing holds the body back at least this long whatever the load, counted from before the
  // request went out (TLS done); the upper bound only tells a paced body from a stuck one (the
  // fetch itself gives up at 10 s) and leaves room for a busy CPU.
  EXPECT_GE(r.total_s - r.appconnect_s, 0.9) << "body took " << body_time << " s";
  EXPECT_LT(r.total_s, 8.0);
}

TEST_P(ServeFaults, ResponseDelayHoldsHeaders) {
  auto s = start({"--response-delay", "300"});
  for (const char* path : {"/good/a.bin", "/missing"}) {
    FetchResult r = fetch(s->url(path), opts(*s));
    ASSERT_EQ(r.rc, CURLE_OK) << r.error;
    // Exact: the server's timer holds the headers 300 ms after the request arrived, and the request
    // left after the TLS handshake (curl may stamp pretransfer only after sending it, late on a busy CPU).
    EXPECT_GE(r.start_transfer_s - r.appconnect_s, 0.300) << path;
    EXPECT_LT(r.start_transfer_s - r.appconnect_s, 5.0) << path;  // milliseconds, not seconds, with room for load
  }
}

INSTANTIATE_TEST_SUITE_P(Protocols, ServeFaults,
                         ::testing::Values(Proto{"h2", CURL_HTTP_VERSION_2TLS}, Proto{"h1", CURL_HTTP_VERSION_1_1}),
                         [](const auto& info) { return std::string(info.param.name); });

// The delay is a timer in the event loop, not a sleep: 32 delayed requests on one h2 connection and on
// 8 HTTP/1.1 connections all finish in about one delay, not 32 of them.
TEST(ServeDelay, DelayedResponsesOverlap) {
  if (!tool_available("h2load")) GTEST_SKIP() << "h2load (nghttp2-client) is not installed";
  TempDir dir;
  write_file(dir / "www/a.bin", pattern(4096, 1));
  ServeProcess s(dir / "www", {"--response-delay", "250"}, dir);
  const auto t0 = std::chrono::steady_clock::now();
  CmdResult h2 = run_cmd({"h2load", "-n", "32", "-c", "1", "-m", "32", s.url("/a.bin")});
  const auto h2_time = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(h2.exit_code, 0) << h2.output;
  EXPECT_NE(h2.output.find("32 succeeded"), std::string::npos) << h2.output;
  // Serialised, 32 delays would take 8 s; overlapped they take one plus setup, which a busy
  // machine may stretch: the bound sits halfway.
  EXPECT_LT(h2_time, std::chrono::milliseconds(4000));
  const auto t1 = std::chrono::steady_clock::now();
  CmdResult h1 = run_cmd({"h2load", "--h1", "-n", "32", "-c", "8", "-m", "1", s.url("/a.bin")});
  const auto h1_time = std::chrono::steady_clock::now() - t1;
  ASSERT_EQ(h1.exit_code, 0) << h1.output;
  EXPECT_NE(h1.output.find("32 succeeded"), std::string::npos) << h1.output;
  // 4 rounds of 250 ms per connection (a lower bound, exact); serialised in one thread it would take
  // 8 s, so the upper bound again sits well below that.
  EXPECT_GE(h1_time, std::chrono::milliseconds(1000));
  EXPECT_LT(h1_time, std::chrono::milliseconds(5000));
}

}  // namespace
