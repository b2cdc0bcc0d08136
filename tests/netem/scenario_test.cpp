#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "chunkbench/error.hpp"
#include "chunkbench/netem/scenario.hpp"

namespace cn = chunkbench::netem;
using nlohmann::json;

namespace {

// The message of the Error thrown for `j`, or "" when it is accepted.
std::string rejection(const json& j) {
  try {
    cn::scenario_from_json(j, "s.json");
  } catch (const chunkbench::Error& e) {
    EXPECT_EQ(e.code(), chunkbench::Errc::invalid_input);
    return e.what();
  }
  return "";
}

void expect_rejected(const json& j, const std::string& field, const std::string& why) {
  std::string m = rejection(j);
  ASSERT_FALSE(m.empty()) << j.dump() << " was accepted";
  EXPECT_NE(m.find("s.json: " + field + ":"), std::string::npos) << m;
  EXPECT_NE(m.find(why), std::string::npos) << m;
}

}  // namespace

TEST(Scenario, BadFilesNameTheField) {
  expect_rejected({{"delay", "-5ms"}}, "delay", "negative");
  expect_rejected({{"up", {{"delay", "-1s"}}}}, "up.delay", "negative");
  expect_rejected({{"dleay", "5ms"}}, "dleay", "unknown key");
  expect_rejected({{"down", {{"rat", "5mbit"}}}}, "down.rat", "unknown key");
  expect_rejected({{"sysctl", {{"tcp_wmem_max", 1}}}}, "sysctl.tcp_wmem_max", "unknown key");
  expect_rejected({{"rate", "0mbit"}}, "rate", "must be > 0");
  expect_rejected({{"up", {{"rate", "0kbit"}}}}, "up.rate", "must be > 0");
  expect_rejected({{"mtu", 100000}}, "mtu", "outside 576..9000");
  expect_rejected({{"mtu", 100}}, "mtu", "outside");
  expect_rejected({{"mtu", "1500"}}, "mtu", "integer");
  expect_rejected({{"loss", "100%"}}, "loss", "[0%, 100%)");
  expect_rejected({{"loss", "-1%"}}, "loss", "[0%, 100%)");
  expect_rejected({{"delay", 500}}, "delay", "needs a unit");
  expect_rejected({{"delay", "500"}}, "delay", "needs a unit");
  expect_rejected({{"rate", "50mbps"}}, "rate", "unknown unit");
  expect_rejected({{"delay", "10ms"}, {"jitter", "20ms"}}, "up.jitter", "exceeds the delay");
  expect_rejected({{"queue", "0p"}}, "queue", "at least one packet");
  expect_rejected({{"queue", "100"}}, "up.queue", "cannot hold one 1500-byte packet");
  expect_rejected({{"sysctl", {{"tcp_wmem", "4096 16384"}}}}, "sysctl.tcp_wmem", "three values");
  expect_rejected({{"sysctl", {{"tcp_rmem", "9 8 7"}}}}, "sysctl.tcp_rmem", "min <= default <= max");
  expect_rejected({{"sysctl", {{"tcp_slow_start_after_idle", 2}}}}, "sysctl.tcp_slow_start_after_idle", "0 or 1");
  expect_rejected({{"sysctl", {{"congestion_control", "bbr; rm"}}}}, "sysctl.congestion_control", "not an algorithm");
  expect_rejected(json::array(), "scenario", "JSON object");
}

TEST(Scenario, ParsesEveryField) {
  json j = {{"name", "x"},
            {"delay", "500ms"},
            {"rate", "50mbit"},
            {"loss", "0.1%"},
            {"down", {{"rate", "1.5gbit"}, {"jitter", "2ms"}, {"queue", {{"packets", 300}}}}},
            {"up", {{"queue", "64KiB"}}},
            {"mtu", 1400},
            {"sysctl", {{"congestion_control", "bbr"}, {"tcp_wmem", "4096 16384 33554432"}, {"tcp_rmem", json::array({4096, 131072, 33554432})}, {"tcp_slow_start_after_idle", false}}}};
  cn::Scenario s = cn::scenario_from_json(j, "t");
  EXPECT_EQ(s.name, "x");
  EXPECT_EQ(s.up.delay_ns, 500'000'000);
  EXPECT_EQ(s.down.delay_ns, 500'000'000);
  EXPECT_EQ(s.up.rate_bps, 50'000'000u);
  EXPECT_EQ(s.down.rate_bps, 1'500'000'000u);
  EXPECT_DOUBLE_EQ(s.up.loss, 0.001);
  EXPECT_EQ(s.down.jitter_ns, 2'000'000);
  EXPECT_EQ(s.down.queue_packets, 300u);
  EXPECT_EQ(s.up.queue_bytes, 65536u);
  EXPECT_EQ(s.mtu, 1400);
  EXPECT_EQ(s.sysctls.congestion_control, "bbr");
  EXPECT_EQ(s.sysctls.tcp_wmem, "4096 16384 33554432");
  EXPECT_EQ(s.sysctls.tcp_rmem, "4096 131072 33554432");
  EXPECT_EQ(s.sysctls.tcp_slow_start_after_idle, 0);
  EXPECT_EQ(s.base_rtt_ns(), 1'000'000'000);
  // Round trip through the canonical JSON keeps the value.
  EXPECT_EQ(cn::scenario_from_json(s.to_json(), "rt"), s);
}

TEST(Scenario, UnitParsers) {
  EXPECT_EQ(cn::parse_duration_ns("1.5s", "f"), 1'500'000'000);
  EXPECT_EQ(cn::parse_duration_ns("250us", "f"), 250'000);
  EXPECT_EQ(cn::parse_duration_ns("0ms", "f"), 0);
  EXPECT_EQ(cn::parse_rate_bps("800kbit", "f"), 800'000u);
  EXPECT_EQ(cn::parse_rate_bps("1Gbit", "f"), 1'000'000'000u);
  EXPECT_DOUBLE_EQ(cn::parse_fraction("1%", "f"), 0.01);
  EXPECT_DOUBLE_EQ(cn::parse_fraction("0.02", "f"), 0.02);
  EXPECT_EQ(cn::parse_bytes("6MB", "f"), 6'000'000u);
  EXPECT_EQ(cn::parse_bytes("2MiB", "f"), 2u << 20);
  EXPECT_EQ(cn::format_duration(500'000'000), "500ms");
  EXPECT_EQ(cn::format_duration(100'000), "100us");
  EXPECT_EQ(cn::format_rate(50'000'000), "50mbit");
  EXPECT_EQ(cn::format_rate(1'500'000), "1500kbit");
  EXPECT_THROW(cn::parse_rate_bps("fast", "f"), chunkbench::Error);
}

TEST(Scenario, PresetsReproduceTheSeed) {
  auto names = cn::preset_names();
  for (const char* want : {"seed-delay", "seed-bandwidth", "seed-both", "lan", "dsl", "lte", "transatlantic"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  for (const auto& n : names) EXPECT_NO_THROW(cn::load_scenario(n)) << n;
  // netem delay 500ms on lo delayed each direction: RTT 1 s, no rate limit.
  auto d = cn::load_scenario("seed-delay");
  EXPECT_EQ(d.up.delay_ns, 500'000'000);
  EXPECT_EQ(d.down.delay_ns, 500'000'000);
  EXPECT_EQ(d.up.rate_bps, 0u);
  // wondershaper -d 50000 -u 50000: 50 Mbit/s each way, no delay.
  auto b = cn::load_scenario("seed-bandwidth");
  EXPECT_EQ(b.up.rate_bps, 50'000'000u);
  EXPECT_EQ(b.down.rate_bps, 50'000'000u);
  EXPECT_EQ(b.base_rtt_ns(), 0);
  EXPECT_FALSE(b.needs_delay_or_loss());
  auto both = cn::load_scenario("seed-both");
  EXPECT_EQ(both.base_rtt_ns(), 1'000'000'000);
  EXPECT_EQ(both.down.rate_bps, 50'000'000u);
  // The auto queue holds one BDP: 50 Mbit/s x 1 s = 6.25 MB.
  EXPECT_EQ(both.queue_limit_bytes(both.down), 6'250'000u);
  auto dsl = cn::load_scenario("dsl");
  EXPECT_LT(dsl.up.rate_bps, dsl.down.rate_bps);
  EXPECT_THROW(cn::load_scenario("no-such-preset-or-file"), chunkbench::Error);
}

TEST(Scenario, FlagsOverrideAndShareTheValidation) {
  auto s = cn::apply_overrides(cn::load_scenario("seed-both"), {{"loss", "1%"}, {"up.rate", "10mbit"}, {"sysctl.tcp_wmem", "4096 16384 33554432"}});
  EXPECT_DOUBLE_EQ(s.up.loss, 0.01);
  EXPECT_DOUBLE_EQ(s.down.loss, 0.01);
  EXPECT_EQ(s.up.rate_bps, 10'000'000u);
  EXPECT_EQ(s.down.rate_bps, 50'000'000u);
  EXPECT_EQ(s.up.delay_ns, 500'000'000);
  EXPECT_EQ(s.sysctls.tcp_wmem, "4096 16384 33554432");
  // --delay D is one-way in each direction: RTT = 2D, as netem on lo.
  auto f = cn::apply_overrides(cn::Scenario{}, {{"delay", "250ms"}, {"rate", "20mbit"}});
  EXPECT_EQ(f.base_rtt_ns(), 500'000'000);
  EXPECT_EQ(f.up.rate_bps, 20'000'000u);
  // A per-direction override of an asymmetric preset leaves the other direction alone.
  auto d = cn::apply_overrides(cn::load_scenario("dsl"), {{"down.delay", "30ms"}});
  EXPECT_EQ(d.down.delay_ns, 30'000'000);
  EXPECT_EQ(d.up.delay_ns, 15'000'000);
  try {
    cn::apply_overrides(cn::Scenario{}, {{"delay", "-3ms"}});
    FAIL() << "negative --delay accepted";
  } catch (const chunkbench::Error& e) {
    EXPECT_NE(std::string(e.what()).find("delay: must not be negative"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cn::apply_overrides(cn::Scenario{}, {{"rate", "0"}}), chunkbench::Error);
  EXPECT_THROW(cn::apply_overrides(cn::Scenario{}, {{"mtu", "65536"}}), chunkbench::Error);
}

TEST(Scenario, LoadsFilesAndReportsThePath) {
  std::string path = testing::TempDir() + "/bad-scenario.json";
  {
    std::ofstream(path) << R"({"delay": "10ms", "rate": "5mbit", "queue": {"packets": 10, "bytes": 10}})";
  }
  try {
    cn::load_scenario(path);
    FAIL() << "accepted";
  } catch (const chunkbench::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": queue: give exactly one"), std::string::npos) << e.what();
  }
  {
    std::ofstream(path) << R"({"delay": "10ms", "rate": "5mbit"})";
  }
  auto s = cn::load_scenario(path);
  EXPECT_EQ(s.name, "bad-scenario.json");
  EXPECT_EQ(s.up.rate_bps, 5'000'000u);
  {
    std::ofstream(path) << "{not json";
  }
  EXPECT_THROW(cn::load_scenario(path), chunkbench::Error);
}
