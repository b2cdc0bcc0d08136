// A remote extract over an emulated far link (real namespaces, `chunkbench serve` in the server's):
// the default window and the HTTP/2 connections follow the round trip the client measured, and the
// server's statistics show the connections the client says it opened. Needs root; skips otherwise.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include <nlohmann/json.hpp>

#include "chunkbench/link_model.hpp"
#include "chunkbench/netem/netns.hpp"
#include "chunkbench/netem/process.hpp"
#include "chunkbench/netem/run.hpp"
#include "chunkbench/netem/scenario.hpp"
#include "chunkbench/netem/topology.hpp"

namespace cn = chunkbench::netem;

namespace {

const std::string kBin = CHUNKBENCH_BIN;

std::string slurp(const std::string& path) {
  auto r = cn::run_command({"cat", path});
  return r.status == 0 ? r.output : "";
}

TEST(FarLink, DefaultWindowAndH2ConnectionsFollowTheMeasuredLink) {
  if (!cn::have_net_admin()) GTEST_SKIP() << "needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN) to create namespaces";
  const std::string dir = testing::TempDir() + "/farlink-" + std::to_string(getpid());
  cn::run_checked({"mkdir", "-p", dir + "/root"});
  ASSERT_EQ(cn::run_command({kBin, "testimage", "--kind", "synthetic", "--size", "6M", "--out", dir}).status, 0);
  ASSERT_EQ(cn::run_command({kBin, "make", "-s", dir + "/root/store", dir + "/v2.caibx", dir + "/v2.img"}).status, 0);

  // 300 ms each way at 50 Mbit/s: 3.75 MB in flight, above what the starting window of 64 holds.
  cn::Scenario sc;
  sc.name = "farlink-test";
  sc = cn::apply_overrides(sc, {{"delay", "300ms"}, {"rate", "50mbit"}});
  cn::RunSpec spec;
  spec.scenario = sc;
  const std::string addr = cn::Topology::kServerAddr;
  spec.server_command = {kBin, "serve", "--root", dir + "/root", "--listen", addr + ":8443", "--ca-out",
                         dir + "/ca.pem", "--stats", dir + "/stats.json", "-q"};
  spec.wait_port = 8443;
  spec.client_command = {kBin, "extract", "-s", "https://" + addr + ":8443/store/", "--ca", dir + "/ca.pem",
                         "--http", "2", "--bandwidth", "50mbit", "--json", dir + "/v2.caibx", dir + "/out.img"};
  spec.capture_client_stdout = true;
  cn::RunResult r = cn::run(spec);
  ASSERT_TRUE(r.ok()) << r.failure << " client status " << r.client_status << "\n" << r.client_result;
  auto j = nlohmann::json::parse(r.client_result.substr(r.client_result.find('{')));
  const auto& link = j["network"]["link"];
  const double rtt = link["rtt"].get<double>();
  EXPECT_GE(rtt, 0.6);
  EXPECT_LT(rtt, 1.2);
  const double rate = link["rate"].get<double>();
  EXPECT_GE(rate, 50e6 / 8);
  // The window left the starting 64 for the product of what was measured (in answers no larger than
  // the largest chunk), and the connections are the model's for that round trip.
  EXPECT_GT(link["window"].get<unsigned>(), 64u);
  EXPECT_GE(link["window"].get<unsigned>(), chunkbench::window_for_link({rtt, 50e6 / 8}, 256.0 * 1024, 64, 1u << 20));
  const unsigned want = chunkbench::connections_for_link({rtt, 50e6 / 8}, 1u << 20, chunkbench::kMaxLinkConnections);
  EXPECT_GT(want, 1u);
  EXPECT_EQ(link["connections"].get<unsigned>(), want);
  EXPECT_EQ(j["network"]["connections_opened"].get<unsigned>(), want);
  auto stats = nlohmann::json::parse(slurp(dir + "/stats.json"));
  EXPECT_EQ(stats["connections_accepted"].get<unsigned>(), want);
  EXPECT_EQ(stats["protocols"]["h2"]["connections"].get<unsigned>(), want);
  EXPECT_EQ(cn::run_command({"cmp", dir + "/out.img", dir + "/v2.img"}).status, 0);
  cn::run_command({"rm", "-rf", dir});
}

}  // namespace
