// The units table (README "Units"): every option that takes a size, rate, duration or share goes
// through chunkbench/units.hpp; these rows pin what each spelling means and what is refused.
#include <gtest/gtest.h>

#include <functional>

#include "chunkbench/chunker.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/units.hpp"
#include "test_util.hpp"

namespace chunkbench {
namespace {

namespace u = units;

struct Row {
  const char* flag;  // the option that takes this kind of value
  std::function<double(const std::string&)> parse;
  const char* text;
  double want;
};

std::function<double(const std::string&)> size(const char* flag, std::uint64_t bare = 1) {
  return [=](const std::string& t) { return static_cast<double>(u::parse_size(t, flag, bare)); };
}
std::function<double(const std::string&)> rate(const char* flag) {
  return [=](const std::string& t) { return u::parse_rate(t, flag); };
}
std::function<double(const std::string&)> duration(const char* flag, double bare = 1) {
  return [=](const std::string& t) { return u::parse_duration(t, flag, bare); };
}
std::function<double(const std::string&)> share(const char* flag) {
  return [=](const std::string& t) { return u::parse_fraction(t, flag); };
}

const std::vector<Row>& rows() {
  static const std::vector<Row> r = {
      // sizes: K/M/G binary (desync, dd), kB/MB/GB decimal, Ki/KiB binary, bare = bytes
      {"--max-span", size("--max-span"), "8M", 8 << 20},
      {"--max-span", size("--max-span"), "64Ki", 64 << 10},
      {"--max-span", size("--max-span"), "64KiB", 64 << 10},
      {"--max-span", size("--max-span"), "64K", 64 << 10},
      {"--max-span", size("--max-span"), "64k", 64 << 10},
      {"--max-span", size("--max-span"), "64kB", 64000},
      {"--max-span", size("--max-span"), "2MB", 2e6},
      {"--max-span", size("--max-span"), "1.5M", 1.5 * (1 << 20)},
      {"--max-span", size("--max-span"), "4096", 4096},
      {"--max-span", size("--max-span"), "4096B", 4096},
      {"testimage --size", size("--size"), "256M", 256 << 20},
      {"testimage --size", size("--size"), "1G", 1 << 30},
      {"testimage --size", size("--size"), "1GB", 1e9},
      {"serve --h2-window", size("--h2-window"), "1048576", 1 << 20},
      {"serve --sndbuf", size("--sndbuf"), "4Mi", 4 << 20},
      {"serve --notsent-lowat", size("--notsent-lowat"), "16K", 16 << 10},
      {"make -m (one part)", size("chunk size", 1024), "64", 64 << 10},  // desync: bare = KiB
      {"make -m (one part)", size("chunk size", 1024), "256B", 256},
      {"make -m (one part)", size("chunk size", 1024), "2M", 2 << 20},
      // rates: K/M/G decimal bytes/s (tc, iperf3), bit rates any case, Ki/Mi binary
      {"--bandwidth", rate("--bandwidth"), "6.25M", 6.25e6},
      {"--bandwidth", rate("--bandwidth"), "6.25MB/s", 6.25e6},
      {"--bandwidth", rate("--bandwidth"), "6.25m", 6.25e6},
      {"--bandwidth", rate("--bandwidth"), "50mbit", 6.25e6},
      {"--bandwidth", rate("--bandwidth"), "50Mbit", 6.25e6},
      {"--bandwidth", rate("--bandwidth"), "50Mbit/s", 6.25e6},
      {"--bandwidth", rate("--bandwidth"), "800kbit", 1e5},
      {"--bandwidth", rate("--bandwidth"), "1gbit", 1.25e8},
      {"--bandwidth", rate("--bandwidth"), "1Gi", 1 << 30},
      {"--bandwidth", rate("--bandwidth"), "100K", 1e5},
      {"--bandwidth", rate("--bandwidth"), "1000000", 1e6},
      {"serve --slow-body", rate("--slow-body"), "32768", 32768},
      {"serve --slow-body", rate("--slow-body"), "4M", 4e6},
      // durations: bare = seconds, except where the option says milliseconds
      {"--rtt", duration("--rtt"), "500ms", 0.5},
      {"--rtt", duration("--rtt"), "0.05", 0.05},
      {"--rtt", duration("--rtt"), "10us", 1e-5},
      {"--rtt", duration("--rtt"), "1s", 1},
      {"--timeout-connect", duration("--timeout-connect"), "2m", 120},
      {"--timeout-stall", duration("--timeout-stall"), "30", 30},
      {"--timeout-stall", duration("--timeout-stall"), "1h", 3600},
      {"serve --response-delay", duration("--response-delay", 1e-3), "5", 0.005},
      {"serve --response-delay", duration("--response-delay", 1e-3), "0.2s", 0.2},
      // shares
      {"testimage --change", share("--change"), "5%", 0.05},
      {"testimage --change", share("--change"), "0.05", 0.05},
      {"serve --fault-5xx-rate", share("--fault-5xx-rate"), "1", 1},
      {"serve --fault-reset-rate", share("--fault-reset-rate"), "12.5%", 0.125},
  };
  return r;
}

TEST(Units, Table) {
  for (const auto& r : rows()) EXPECT_DOUBLE_EQ(r.parse(r.text), r.want) << r.flag << " " << r.text;
}

TEST(Units, BadInputIsAUsageErrorNamingTheField) {
  const std::vector<std::pair<std::function<double(const std::string&)>, std::vector<const char*>>> bad = {
      {size("--max-span"),
       {"", " ", "-1", "-8M", "8X", "8mb", "8Kb", "8b", "1.5B", "0.3K", "M", "1e3", "inf", "nan", "0x10", "1..2",
        "99999999999999999999", "16777216T"}},
      {rate("--bandwidth"), {"", "-5M", "50bps", "50kbps", "6Mb", "6mb", "fast", "50 furlongs", "1e30", "M"}},
      {duration("--rtt"), {"", "-1", "-5ms", "5 parsecs", "5S", "1e3", "99999999999h"}},
      {share("--change"), {"", "-5%", "101%", "2", "5 percent"}},
      {size("chunk size", 0), {"64"}},  // where a unit is required
  };
  for (const auto& [parse, texts] : bad)
    for (const char* t : texts) {
      try {
        double v = parse(t);
        ADD_FAILURE() << "accepted '" << t << "' as " << v;
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::usage) << t;
        const std::string msg = e.what();
        // The message starts with the field the caller named.
        EXPECT_TRUE(msg.rfind("--", 0) == 0 || msg.rfind("chunk size", 0) == 0) << msg;
      }
    }
  EXPECT_THROW(u::parse_rate("50", "scenario rate", 0), Error);
  EXPECT_THROW(u::parse_duration("500", "scenario delay", 0), Error);
  try {
    u::parse_size("-8M", "--max-span");
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--max-span: must not be negative, got -8M");
  }
  try {
    u::parse_rate("50Mbps", "--bandwidth");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ambiguous"), std::string::npos) << e.what();
  }
}

TEST(Units, ChunkSizesKeepDesyncKiB) {
  EXPECT_EQ(parse_chunk_sizes("16:64:256").avg, 64u << 10);
  EXPECT_EQ(parse_chunk_sizes("64Ki").avg, 64u << 10);
  EXPECT_EQ(parse_chunk_sizes("1M:2M:4M").max, 4u << 20);
}

// Every option refuses a bad value before any work, naming the option, exit status 2.
TEST(Units, EveryOptionRefusesBadValuesNamingIt) {
  test::TempDir dir;
  test::write_file(dir / "img", test::random_data(200000, 1));
  const std::string bin = test::chunkbench_bin();
  ASSERT_EQ(test::run(bin + " make " + dir / "i.caibx" + " " + dir / "img").status, 0);
  const std::string idx = dir / "i.caibx", out = dir / "out";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"make -m 16:64:x " + idx + " " + dir / "img", "chunk size '16:64:x'"},
      {"extract -s " + dir.path() + " --max-span 8X " + idx + " " + out, "--max-span"},
      {"extract -s " + dir.path() + " --bandwidth 50Mbps " + idx + " " + out, "--bandwidth"},
      {"extract -s " + dir.path() + " --rtt -5ms " + idx + " " + out, "--rtt"},
      {"extract -s " + dir.path() + " --timeout-connect 5parsecs " + idx + " " + out, "--timeout-connect"},
      {"extract -s " + dir.path() + " --timeout-stall '' " + idx + " " + out, "--timeout-stall"},
      {"info -s " + dir.path() + " --timeout-stall x " + idx, "--timeout-stall"},
      {"testimage --out " + dir / "t" + " --size 1.5B", "--size"},
      {"testimage --out " + dir / "t" + " --change 101%", "--change"},
      {"serve --root " + dir.path() + " --h2-window 8mb", "--h2-window"},
      {"serve --root " + dir.path() + " --sndbuf -1", "--sndbuf"},
      {"serve --root " + dir.path() + " --slow-body 1Mb", "--slow-body"},
      {"serve --root " + dir.path() + " --response-delay 5parsecs", "--response-delay"},
      {"serve --root " + dir.path() + " --fault-reset-rate 2", "--fault-reset-rate"},
  };
  for (const auto& [args, name] : cases) {
    auto r = test::run(bin + " " + args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.out;
    EXPECT_NE(r.out.find(name), std::string::npos) << args << "\n" << r.out;
  }
}

}  // namespace
}  // namespace chunkbench
