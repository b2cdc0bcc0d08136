// The server under the reference clients (nghttp, h2load), its counters, its options and its shutdown.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace cbtest;

namespace {

class ServeTools : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!tool_available("h2load") || !tool_available("nghttp")) GTEST_SKIP() << "nghttp2-client is not installed";
    for (int i = 0; i < 8; ++i) write_file(dir / ("www/c" + std::to_string(i) + ".bin"), pattern(65536, i));
  }
  TempDir dir;
};

TEST_F(ServeTools, NghttpSeesSettingsAndBody) {
  ServeProcess s(dir / "www", {"--max-concurrent-streams", "77", "--h2-window", "1048576"}, dir);
  CmdResult r = run_cmd({"nghttp", "-v", "-n", s.url("/c3.bin")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):77"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("SETTINGS_INITIAL_WINDOW_SIZE(0x04):1048576"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(":status: 200"), std::string::npos);
  EXPECT_NE(r.output.find("content-length: 65536"), std::string::npos);
  // The other h2 knobs, as the client sees them.
  ServeProcess s2(dir / "www", {"--no-rfc7540-priorities", "--h2-connection-window", "1048576"}, dir);
  CmdResult r2 = run_cmd({"nghttp", "-v", "-n", s2.url("/c3.bin")});
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  EXPECT_NE(r2.output.find("SETTINGS_NO_RFC7540_PRIORITIES(0x09):1"), std::string::npos) << r2.output;
  EXPECT_NE(r2.output.find("window_size_increment=983041"), std::string::npos) << r2.output;  // 1 MiB - 65535
  // nghttp -o style: download and compare.
  CmdResult body = run_cmd({"nghttp", s.url("/c5.bin")});
  ASSERT_EQ(body.exit_code, 0);
  // nghttp does not verify certificates and says so on the same stream: compare the tail.
  const std::string want = pattern(65536, 5);
  ASSERT_GE(body.output.size(), want.size());
  EXPECT_TRUE(body.output.compare(body.output.size() - want.size(), want.size(), want) == 0);
}

TEST_F(ServeTools, H2loadCountsMatchStats) {
  ServeProcess s(dir / "www", {"--stats", dir / "stats.json"}, dir);
  std::ofstream(dir / "urls") << s.url("/c0.bin") << "\n" << s.url("/c1.bin") << "\n" << s.url("/c2.bin") << "\n";
  CmdResult h2 = run_cmd({"h2load", "-n", "3000", "-c", "2", "-m", "32", "-i", dir / "urls"});
  ASSERT_EQ(h2.exit_code, 0) << h2.output;
  EXPECT_NE(h2.output.find("3000 succeeded, 0 failed"), std::string::npos) << h2.output;
  EXPECT_NE(h2.output.find("Application protocol: h2"), std::string::npos);
  CmdResult h1 = run_cmd({"h2load", "--h1", "-n", "500", "-c", "4", "-m", "1", "-i", dir / "urls"});
  ASSERT_EQ(h1.exit_code, 0) << h1.output;
  EXPECT_NE(h1.output.find("500 succeeded, 0 failed"), std::string::npos) << h1.output;
  EXPECT_NE(h1.output.find("Application protocol: http/1.1"), std::string::npos);

  auto live = nlohmann::json::parse(stats_text(s));
  EXPECT_EQ(live["protocols"]["h2"]["requests"], 3000);
  EXPECT_EQ(live["protocols"]["h2"]["connections"], 2 + 1);  // + the stats request's own connection
  EXPECT_EQ(live["protocols"]["h2"]["body_bytes"], 3000ull * 65536);
  EXPECT_EQ(live["protocols"]["h2"]["status"]["2xx"], 3000);
  EXPECT_EQ(live["protocols"]["http/1.1"]["requests"], 500);
  EXPECT_EQ(live["protocols"]["http/1.1"]["connections"], 4);
  EXPECT_EQ(live["protocols"]["http/1.1"]["body_bytes"], 500ull * 65536);
  EXPECT_EQ(live["total"]["requests"], 3500);
  // What other tests assert "connections honoured" from: accepted TCP connections, h2 streams.
  EXPECT_EQ(live["schema"], "chunkbench.serve-stats/1");
  EXPECT_EQ(live["connections_accepted"], 2 + 4 + 1);
  EXPECT_EQ(live["protocols"]["h2"]["streams"], 3000 + 1);  // + the stats request itself
  EXPECT_GE(live["protocols"]["h2"]["peak_concurrent_streams"].get<int>(), 2);
  EXPECT_LE(live["protocols"]["h2"]["peak_concurrent_streams"].get<int>(), 32);
  EXPECT_EQ(live["protocols"]["http/1.1"].count("streams"), 0u);

  ASSERT_EQ(s.stop(SIGTERM), 0) << s.output();
  auto final_stats = nlohmann::json::parse(read_file(dir / "stats.json"));
  EXPECT_EQ(final_stats["schema"], "chunkbench.serve-stats/1");
  EXPECT_EQ(final_stats["total"]["requests"], 3500);
  EXPECT_EQ(final_stats["connections_open"], 0);
}

TEST_F(ServeTools, Http1PipeliningKeepsOrder) {
  ServeProcess s(dir / "www", {}, dir);
  std::ofstream(dir / "urls") << s.url("/c0.bin") << "\n" << s.url("/c1.bin") << "\n" << s.url("/missing") << "\n";
  // 64 requests in flight per connection: more than the 32 the server queues before it stops reading.
  CmdResult r = run_cmd({"h2load", "--h1", "-n", "900", "-c", "2", "-m", "64", "-i", dir / "urls"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("900 done, 600 succeeded, 300 failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("status codes: 600 2xx, 0 3xx, 300 4xx"), std::string::npos) << r.output;
  auto st = nlohmann::json::parse(stats_text(s));
  EXPECT_EQ(st["protocols"]["http/1.1"]["body_bytes"].get<std::uint64_t>(), 600ull * 65536 + 300 * std::string("404 Not Found\n").size());
}

TEST_F(ServeTools, ShutdownOnSignalsWithOpenConnections) {
  for (int sig : {SIGTERM, SIGINT}) {
    ServeProcess s(dir / "www", {"--stats", dir / "stats.json", "--fault-stall-rate", "1"}, dir);
    // A client stuck on a stalled body keeps a connection open while the server is told to stop.
    CmdResult r;
    std::thread client([&] { r = run_cmd({"curl", "-sS", "--cacert", s.ca(), "-o", "/dev/null", s.url("/c0.bin")}, 10000); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(s.stop(sig, 3000), 0) << s.output();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1000));
    client.join();
    EXPECT_NE(r.exit_code, 0);  // the stalled transfer ends with an error, not a hang
    EXPECT_NE(s.output().find("chunkbench serve: stopped"), std::string::npos);
    auto st = nlohmann::json::parse(read_file(dir / "stats.json"));
    EXPECT_EQ(st["faults"]["stall"], 1);
    EXPECT_EQ(st["connections_open"], 0);
  }
}

// The port file is the "ready" signal: from then on a SIGTERM must be a clean stop, never fatal.
TEST_F(ServeTools, SignalRightAfterPortFileIsClean) {
  for (int i = 0; i < 5; ++i) {
    ServeProcess s(dir / "www", {"--threads", i % 2 ? "2" : "1"}, dir);
    EXPECT_EQ(s.stop(SIGTERM), 0) << s.output();
  }
}

TEST_F(ServeTools, ThreadsShareThePort) {
  ServeProcess s(dir / "www", {"--threads", "2"}, dir);
  CmdResult h2 = run_cmd({"h2load", "-n", "800", "-c", "8", "-m", "8", s.url("/c1.bin")});
  ASSERT_EQ(h2.exit_code, 0) << h2.output;
  EXPECT_NE(h2.output.find("800 succeeded, 0 failed"), std::string::npos) << h2.output;
  auto st = nlohmann::json::parse(stats_text(s));
  EXPECT_EQ(st["protocols"]["h2"]["requests"], 800);
  EXPECT_EQ(s.stop(SIGTERM), 0);
}

TEST_F(ServeTools, ProtocolsOffered) {
  {
    ServeProcess s(dir / "www", {"--protocols", "http/1.1"}, dir);
    FetchOptions o;
    o.ca = s.ca();
    FetchResult r = fetch(s.url("/c0.bin"), o);  // asks for h2, gets HTTP/1.1
    ASSERT_EQ(r.rc, CURLE_OK) << r.error;
    EXPECT_EQ(r.http_version, CURL_HTTP_VERSION_1_1);
  }
  {
    ServeProcess s(dir / "www", {"--protocols", "h2"}, dir);
    FetchOptions o;
    o.ca = s.ca();
    EXPECT_EQ(fetch(s.url("/c0.bin"), o).http_version, CURL_HTTP_VERSION_2_0);
    o.http_version = CURL_HTTP_VERSION_1_1;
    FetchResult r = fetch(s.url("/c0.bin"), o);
    EXPECT_NE(r.rc, CURLE_OK);  // an h2-only server refuses a client that cannot speak h2
    auto st = nlohmann::json::parse(stats_text(s));
    EXPECT_EQ(st["tls_handshake_failures"], 1);
  }
}

TEST_F(ServeTools, SocketOptionsAreApplied) {
  // Pick an allowed algorithm other than the default when there is one, so that seeing it is proof.
  auto trim = [](std::string v) {
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
    return v;
  };
  const std::string def = trim(read_file("/proc/sys/net/ipv4/tcp_congestion_control"));
  std::string cc = def;
  std::istringstream allowed(read_file("/proc/sys/net/ipv4/tcp_allowed_congestion_control"));
  for (std::string a; allowed >> a;)
    if (a != def) cc = a;
  ASSERT_FALSE(cc.empty());
  ServeProcess s(dir / "www", {"--congestion", cc, "--sndbuf", "1048576", "--fault-stall-rate", "1"}, dir);
  // A stalled transfer holds an established connection open while ss looks at it.
  CmdResult client;
  std::thread t([&] { client = run_cmd({"curl", "-sS", "--cacert", s.ca(), "-o", "/dev/null", s.url("/c0.bin")}, 10000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  CmdResult ss = run_cmd({"ss", "-tinm", "state", "established", "sport = :" + std::to_string(s.port())});
  EXPECT_EQ(s.stop(SIGTERM), 0);
  t.join();
  EXPECT_NE(ss.output.find(" " + cc + " "), std::string::npos) << cc << " not in:\n" << ss.output;
  // SO_SNDBUF 1 MiB is doubled by the kernel: tb2097152.
  EXPECT_NE(ss.output.find("tb2097152"), std::string::npos) << ss.output;

  CmdResult bad = run_serve_expect_exit({"--root", dir / "www", "--congestion", "no-such-cc"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.output.find("TCP_CONGESTION no-such-cc on 127.0.0.1:0"), std::string::npos) << bad.output;
}

TEST_F(ServeTools, UsageErrors) {
  EXPECT_EQ(run_serve_expect_exit({}).exit_code, 2);  // no --root
  CmdResult missing = run_serve_expect_exit({"--root", dir / "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find(dir / "nope"), std::string::npos) << missing.output;
  EXPECT_EQ(run_serve_expect_exit({"--root", dir / "www", "--fault-reset-rate", "1.5"}).exit_code, 2);
  EXPECT_EQ(run_serve_expect_exit({"--root", dir / "www", "--protocols", "h3"}).exit_code, 2);
  EXPECT_EQ(run_serve_expect_exit({"--root", dir / "www", "--cert", dir / "x.pem"}).exit_code, 2);
  EXPECT_EQ(run_serve_expect_exit({"--root", dir / "www", "--listen", "nohost"}).exit_code, 2);
  CmdResult help = run_serve_expect_exit({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* opt : {"--response-delay", "--fault-5xx", "--fault-reset-rate", "--fault-stall-rate",
                          "--fault-corrupt-rate", "--slow-body", "--fault-seed", "--max-concurrent-streams",
                          "--h2-window", "--sndbuf", "--congestion", "--protocols", "--stats", "--threads"})
    EXPECT_NE(help.output.find(opt), std::string::npos) << opt;
}

}  // namespace
