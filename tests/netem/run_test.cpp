// netem::run(): a scenario run as a library call, and `chunkbench netem run` on top of it. The
// namespace tests need root (CAP_NET_ADMIN + CAP_SYS_ADMIN) and skip with the reason otherwise; each
// checks afterwards that its runs left no namespace, state file or process and that the host's
// links and qdiscs are as before. The scenario-field tests run anywhere.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/netem/netns.hpp"
#include "chunkbench/netem/process.hpp"
#include "chunkbench/netem/run.hpp"
#include "chunkbench/netem/scenario.hpp"
#include "chunkbench/netem/topology.hpp"
#include "chunkbench/server/server.hpp"

namespace cn = chunkbench::netem;
using chunkbench::Fd;

namespace {

const std::string kBin = CHUNKBENCH_BIN;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

bool exists(const std::string& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0;
}

bool have(const std::string& tool) { return cn::run_command({"sh", "-c", "command -v " + tool}).status == 0; }

cn::Scenario scenario(std::vector<std::pair<std::string, std::string>> overrides) {
  cn::Scenario base;
  base.name = "run-test";
  return cn::apply_overrides(base, overrides);
}

std::string socket_cc(int fd) {
  char buf[32] = {};
  socklen_t len = sizeof buf;
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, buf, &len) != 0) return "?";
  return std::string(buf, strnlen(buf, len));
}

sockaddr_in server_addr(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, cn::Topology::kServerAddr, &a.sin_addr);
  return a;
}

// A server function: answers each connection with one line (its socket's congestion control)
// until SIGTERM, then writes `stats_file` as a real server writes its statistics.
int line_server(std::uint16_t port, const std::string& stats_file) {
  static volatile sig_atomic_t stop = 0;
  struct sigaction sa{};
  sa.sa_handler = [](int) { stop = 1; };  // no SA_RESTART: accept() returns EINTR
  sigaction(SIGTERM, &sa, nullptr);
  Fd l(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  setsockopt(l.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = server_addr(port);
  if (::bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l.get(), 16) != 0) return 2;
  int served = 0;
  while (!stop) {
    Fd c(::accept4(l.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c) continue;
    std::string line = socket_cc(c.get()) + "\n";
    if (::write(c.get(), line.data(), line.size()) > 0) ++served;
  }
  write_text(stats_file, "served " + std::to_string(served) + "\n");
  return 0;
}

// A client function: one connection to the line server; returns its answer, this side's congestion
// control and the connect time as JSON.
std::string line_client(std::uint16_t port) {
  Fd c(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = server_addr(port);
  auto t0 = std::chrono::steady_clock::now();
  if (::connect(c.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw chunkbench::Error(chunkbench::Errc::network, "connect to the line server failed");
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  char buf[64] = {};
  ssize_t n = ::read(c.get(), buf, sizeof buf - 1);
  std::string server_cc = n > 0 ? std::string(buf, static_cast<std::size_t>(n) - 1) : "";
  return nlohmann::json{{"server_cc", server_cc}, {"client_cc", socket_cc(c.get())}, {"connect_ms", ms},
                        {"env_server_addr", std::getenv("SERVER_ADDR") ? std::getenv("SERVER_ADDR") : ""}}
      .dump();
}

class NetemRun : public testing::Test {
 public:
  void SetUp() override {
    if (!cn::have_net_admin()) GTEST_SKIP() << "needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN) to create namespaces and devices";
    if (!exists("/dev/net/tun")) GTEST_SKIP() << "/dev/net/tun is missing";
    host_ = host_state();
    dir_ = testing::TempDir() + "/netem-run-" + std::to_string(getpid()) + "-" +
           testing::UnitTest::GetInstance()->current_test_info()->name();
    cn::run_checked({"mkdir", "-p", dir_});
  }
  void TearDown() override {
    if (host_.empty()) return;
    for (const auto& id : run_ids_) {
      for (const char* side : {"-c", "-s"}) EXPECT_FALSE(exists(cn::netns_path(id + side))) << id << side << " left behind";
      EXPECT_FALSE(exists(std::string(cn::kStateDir) + "/" + id + ".json")) << id;
    }
    const std::string mine = std::string(cn::kNamePrefix) + std::to_string(getpid()) + "-";
    for (const auto& ns : cn::list_chunkbench_namespaces()) EXPECT_NE(ns.rfind(mine, 0), 0u) << ns << " left behind";
    EXPECT_EQ(host_state(), host_) << "the host's links or qdiscs changed";
    cn::run_command({"rm", "-rf", dir_});
  }

  cn::RunResult run(const cn::RunSpec& spec) {
    cn::RunSpec s = spec;
    s.on_link_ready = [this](const cn::RunResult& r) { run_ids_.push_back(r.run_id); };
    cn::RunResult r = cn::run(s);
    auto j = r.to_json();
    for (const char* noisy : {"counters", "sysctls", "link", "scenario"}) j.erase(noisy);
    std::printf("%s\n", j.dump().c_str());
    return r;
  }

  static std::string host_state() {
    return cn::run_checked({"ip", "-o", "link", "show"}) + cn::run_checked({"tc", "qdisc", "show"});
  }

  std::string host_, dir_;
  std::vector<std::string> run_ids_;
};

}  // namespace

TEST_F(NetemRun, FunctionServerAndClientReturnTheResult) {
  cn::RunSpec spec;
  spec.scenario = scenario({{"delay", "10ms"}});
  const std::string stats = dir_ + "/stats.txt";
  spec.server_function = [&](const cn::RunContext& c) {
    return c.server_addr == cn::Topology::kServerAddr ? line_server(9100, stats) : 3;
  };
  spec.wait_port = 9100;
  spec.client_function = [](const cn::RunContext&) { return line_client(9100); };
  cn::RunResult r = run(spec);
  ASSERT_TRUE(r.ok()) << r.failure << r.client_error;
  auto j = nlohmann::json::parse(r.client_result);
  EXPECT_EQ(j["env_server_addr"], cn::Topology::kServerAddr);
  EXPECT_GE(j["connect_ms"].get<double>(), 20.0);  // one RTT of 2 x 10 ms: it crossed the link
  EXPECT_EQ(r.server_status, 0);
  EXPECT_FALSE(r.server_killed);
  // The waiting saw the listening socket without connecting: the client's was the only connection.
  EXPECT_EQ(read_text(stats), "served 1\n");
  auto doc = r.to_json();
  EXPECT_EQ(doc["schema"], "chunkbench.netem-run/1");
  EXPECT_EQ(doc["link"]["backend"], cn::backend_name(r.backend));
  EXPECT_TRUE(doc["counters"]["up"]["packets_out"].get<std::uint64_t>() > 0);
}

TEST_F(NetemRun, ClientFunctionErrorsAndInterruption) {
  cn::RunSpec spec;
  spec.scenario = scenario({{"delay", "1ms"}});
  spec.client_function = [](const cn::RunContext&) -> std::string {
    throw chunkbench::Error(chunkbench::Errc::network, "no route to the chunk store");
  };
  cn::RunResult r = run(spec);
  EXPECT_EQ(r.client_status, 1);
  EXPECT_EQ(r.client_error, "no route to the chunk store");
  EXPECT_FALSE(r.ok());

  // A caller's stop request ends a client that would run for a minute, and the run tears down.
  auto t0 = std::chrono::steady_clock::now();
  spec.client_function = [](const cn::RunContext&) {
    ::sleep(60);
    return std::string("too late");
  };
  spec.interrupted = [t0] { return std::chrono::steady_clock::now() - t0 > std::chrono::milliseconds(500) ? SIGINT : 0; };
  r = run(spec);
  EXPECT_EQ(r.signal, SIGINT);
  EXPECT_TRUE(r.client_result.empty());
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 20);
}

TEST_F(NetemRun, CongestionControlAppliedInBothNamespaces) {
  // cubic is compiled in but not in this host's allowed list (reno bbr), which is what made
  // `--cc cubic` fail: a namespace may only default to an allowed algorithm.
  const std::string host_default = cn::read_sysctl("net.ipv4.tcp_congestion_control");
  const std::string cc = host_default == "cubic" ? "reno" : "cubic";
  cn::RunSpec spec;
  spec.scenario = scenario({{"delay", "1ms"}, {"sysctl.congestion_control", cc}});
  const std::string stats = dir_ + "/stats.txt";
  spec.server_function = [&](const cn::RunContext&) { return line_server(9101, stats); };
  spec.wait_port = 9101;
  spec.client_function = [](const cn::RunContext&) { return line_client(9101); };
  cn::RunResult r = run(spec);
  ASSERT_TRUE(r.ok()) << r.failure << r.client_error;
  auto j = nlohmann::json::parse(r.client_result);
  // Sockets that never asked for an algorithm: each got its namespace's default.
  EXPECT_EQ(j["server_cc"], cc);
  EXPECT_EQ(j["client_cc"], cc);
  EXPECT_EQ(r.client_congestion_control, cc);
  EXPECT_EQ(r.server_congestion_control, cc);
  EXPECT_EQ(cn::read_sysctl("net.ipv4.tcp_congestion_control"), host_default) << "the host's default changed";
  std::string allowed = cn::read_sysctl("net.ipv4.tcp_allowed_congestion_control");
  EXPECT_NE((" " + allowed + " ").find(" " + cc + " "), std::string::npos) << allowed;
  EXPECT_EQ(r.sysctls["host"]["net.ipv4.tcp_allowed_congestion_control"], allowed);
}

TEST_F(NetemRun, UnknownCongestionControlIsRefusedNamingIt) {
  try {
    cn::RunSpec spec;
    spec.scenario = scenario({{"delay", "1ms"}, {"sysctl.congestion_control", "nosuchcc"}});
    spec.client_command = {"true"};
    run(spec);
    FAIL() << "an algorithm the kernel does not have was accepted";
  } catch (const chunkbench::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no TCP congestion control 'nosuchcc'"), std::string::npos) << e.what();
  }
}

TEST_F(NetemRun, CheckMeasuresWithTheRunsCongestionControlAndSaysWhich) {
  auto r = cn::run_command({kBin, "netem", "check", "--delay", "2ms", "--rate", "20mbit", "--cc", "reno", "--no-loss",
                            "--no-rtt", "--bulk-seconds", "1", "--window", "0.5", "--json"});
  ASSERT_EQ(r.status, 0) << r.output;
  auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(j["congestion_control"]["algorithm"], "reno");
  EXPECT_EQ(j["congestion_control"]["source"], "namespace default");
  EXPECT_EQ(j["throughput"]["down"]["congestion_control"], "reno");
  EXPECT_EQ(j["throughput"]["up"]["congestion_control"], "reno");
}

TEST_F(NetemRun, ServerOutputNeverReachesTheClientsStdout) {
  // A library run: the server function prints on both streams, the command client's stdout is captured.
  cn::RunSpec spec;
  spec.scenario = scenario({{"delay", "1ms"}});
  std::vector<std::string> lines;
  spec.server_output = [&](const std::string& line) { lines.push_back(line); };
  spec.server_function = [](const cn::RunContext&) {
    std::printf("SERVER-STDOUT\n");
    std::fprintf(stderr, "SERVER-STDERR\n");
    return line_server(9102, "/dev/null");
  };
  spec.wait_port = 9102;
  spec.client_command = {"sh", "-c", "echo client-out"};
  spec.capture_client_stdout = true;
  cn::RunResult r = run(spec);
  ASSERT_TRUE(r.ok()) << r.failure;
  EXPECT_EQ(r.client_result, "client-out\n");
  EXPECT_NE(std::find(lines.begin(), lines.end(), "SERVER-STDOUT"), lines.end());
  EXPECT_NE(std::find(lines.begin(), lines.end(), "SERVER-STDERR"), lines.end());

  // The CLI, as the issue reported it: iperf3's server banner must not corrupt the client's JSON.
  if (!have("iperf3")) GTEST_SKIP() << "iperf3 is not installed";
  const std::string out = dir_ + "/out", err = dir_ + "/err", log = dir_ + "/server.log";
  for (bool to_log : {false, true}) {
    SCOPED_TRACE(to_log ? "--server-log" : "stderr");
    std::string cmd = kBin + " netem run --delay 1ms -q" + (to_log ? " --server-log " + log : "") +
                      " --server 'echo SERVER-NOISE; exec iperf3 -s -1 -B $SERVER_ADDR -p 5201' --wait-port 5201"
                      " -- iperf3 -c 10.77.0.2 -p 5201 -t 1 -J > " + out + " 2> " + err;
    auto rc = cn::run_command({"sh", "-c", cmd});
    EXPECT_EQ(rc.status, 0) << read_text(err);
    std::string stdout_text = read_text(out);
    EXPECT_EQ(stdout_text.find("SERVER-NOISE"), std::string::npos) << stdout_text;
    EXPECT_NO_THROW(nlohmann::json::parse(stdout_text)) << stdout_text;
    std::string where = to_log ? read_text(log) : read_text(err);
    EXPECT_NE(where.find(to_log ? "SERVER-NOISE" : "[server] SERVER-NOISE"), std::string::npos) << where;
    if (to_log) {
      EXPECT_EQ(read_text(err).find("SERVER-NOISE"), std::string::npos);
    }
    std::string id = nlohmann::json::parse(stdout_text)["start"]["connected"][0]["local_host"].get<std::string>();
    EXPECT_EQ(id, cn::Topology::kClientAddr);
  }
}

TEST_F(NetemRun, GracePeriodLetsAServerBehindAWrapperWriteItsFile) {
  // The wrapper shell dies on SIGTERM at once; the server under it needs a second to write its file.
  // A teardown that waited only for the wrapper would SIGKILL the server before it wrote.
  const std::string script = dir_ + "/server.sh", stats = dir_ + "/stats.txt";
  write_text(script, "trap 'sleep 1; echo written > " + stats + "; exit 0' TERM\nwhile :; do sleep 0.1; done\n");
  cn::RunSpec spec;
  spec.scenario = scenario({{"delay", "1ms"}});
  spec.server_command = {"sh", "-c", "sh " + script + "; echo wrapper done"};
  spec.client_command = {"sleep", "0.3"};
  cn::RunResult r = run(spec);
  ASSERT_TRUE(r.ok()) << r.failure;
  EXPECT_EQ(read_text(stats), "written\n");
  EXPECT_FALSE(r.server_killed);

  // A server that ignores SIGTERM is killed when the grace period ends.
  write_text(script, "trap '' TERM\nwhile :; do sleep 0.1; done\n");
  spec.server_command = {"sh", script};
  spec.server_grace_s = 0.5;
  auto t0 = std::chrono::steady_clock::now();
  r = run(spec);
  EXPECT_TRUE(r.server_killed);
  EXPECT_EQ(r.server_status, 128 + SIGKILL);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 15);
}

// The two ways the benchmark matrix starts its server: `chunkbench serve` under a wrapper shell,
// and the embedded server library in a server function. Both answer across the link and write
// their statistics at the teardown's SIGTERM; the port wait added no connection to them.
TEST_F(NetemRun, ChunkbenchServeAsCommandOrAsEmbeddedFunction) {
  if (!have("curl")) GTEST_SKIP() << "curl is not installed";
  const std::string root = dir_ + "/root";
  cn::run_checked({"mkdir", "-p", root});
  write_text(root + "/hello.txt", "hello across the link\n");
  for (bool embedded : {false, true}) {
    SCOPED_TRACE(embedded ? "embedded" : "command");
    const std::string stats = dir_ + "/stats-" + std::to_string(embedded) + ".json";
    const std::string ca = dir_ + "/ca-" + std::to_string(embedded) + ".pem";
    cn::RunSpec spec;
    spec.scenario = scenario({{"delay", "5ms"}});
    if (embedded) {
      spec.server_function = [&](const cn::RunContext& c) {
        chunkbench::server::Options o;
        o.root = root;
        o.listen = c.server_addr + ":8443";
        o.ca_out = ca;
        chunkbench::server::Server srv(o);
        srv.run(true);
        write_text(stats, srv.stats_json());
        return 0;
      };
    } else {
      spec.server_command = {"sh", "-c", kBin + " serve --root " + root + " --listen $SERVER_ADDR:8443 --ca-out " + ca +
                                             " --stats " + stats + " -q; echo serve ended"};
    }
    spec.wait_port = 8443;
    spec.client_command = {"curl", "-sS", "--cacert", ca, "https://10.77.0.2:8443/hello.txt"};
    spec.capture_client_stdout = true;
    cn::RunResult r = run(spec);
    ASSERT_TRUE(r.ok()) << r.failure << " client " << r.client_status;
    EXPECT_EQ(r.client_result, "hello across the link\n");
    EXPECT_FALSE(r.server_killed);
    auto j = nlohmann::json::parse(read_text(stats));
    EXPECT_EQ(j["total"]["connections"], 1) << j.dump();
    EXPECT_EQ(j["total"]["requests"], 1) << j.dump();
  }
}

TEST_F(NetemRun, InitcwndKnobIsOnTheServerNamespacesRoute) {
  const std::string routes = dir_ + "/routes.txt";
  cn::RunSpec spec;
  spec.scenario = scenario({{"delay", "1ms"}, {"server.initcwnd", "40"}, {"server.initrwnd", "30"}});
  // Read by a process inside the server namespace, not only by the runner.
  spec.server_command = {"sh", "-c", "ip route show > " + routes + ".tmp && mv " + routes + ".tmp " + routes + "; exec sleep 100"};
  spec.client_command = {"sh", "-c", "for i in $(seq 100); do [ -s " + routes + " ] && exit 0; sleep 0.1; done; exit 1"};
  cn::RunResult r = run(spec);
  ASSERT_TRUE(r.ok()) << r.failure;
  std::string seen = read_text(routes);
  EXPECT_NE(seen.find("10.77.0.0/24"), std::string::npos) << seen;
  EXPECT_NE(seen.find("initcwnd 40"), std::string::npos) << seen;
  EXPECT_NE(seen.find("initrwnd 30"), std::string::npos) << seen;
  EXPECT_NE(r.routes["server"].get<std::string>().find("initcwnd 40"), std::string::npos);
  EXPECT_EQ(r.routes["client"].get<std::string>().find("initcwnd"), std::string::npos) << "the client's route is untouched";
}

TEST_F(NetemRun, SpecErrorsBeforeAnyNamespace) {
  cn::RunSpec spec;
  spec.scenario = scenario({{"delay", "1ms"}});
  EXPECT_THROW(cn::run(spec), chunkbench::Error);  // no client
  spec.client_command = {"true"};
  spec.client_function = [](const cn::RunContext&) { return std::string(); };
  EXPECT_THROW(cn::run(spec), chunkbench::Error);  // two clients
  spec.client_function = nullptr;
  spec.wait_port = 80;
  EXPECT_THROW(cn::run(spec), chunkbench::Error);  // a port but no server
  spec.wait_port.reset();
  spec.client_command = {"/nonexistent/client"};
  try {
    run(spec);
    FAIL() << "a missing client program was accepted";
  } catch (const chunkbench::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/client"), std::string::npos) << e.what();
  }
}

TEST(NetemScenario, ServerRouteFields) {
  auto s = cn::scenario_from_json({{"delay", "5ms"}, {"server", {{"initcwnd", 40}, {"initrwnd", 20}}}}, "s.json");
  EXPECT_EQ(s.server.initcwnd, 40);
  EXPECT_EQ(s.server.initrwnd, 20);
  EXPECT_EQ(cn::scenario_from_json(s.to_json(), "round trip"), s);
  EXPECT_NE(s.describe().find("server initcwnd 40"), std::string::npos) << s.describe();
  EXPECT_EQ(scenario({{"server.initcwnd", "64"}}).server.initcwnd, 64);
  for (const auto& [bad, says] : std::vector<std::pair<nlohmann::json, std::string>>{
           {{{"initcwnd", 0}}, "server.initcwnd: must be a number of segments in 1..65535, got 0"},
           {{{"initrwnd", "ten"}}, "server.initrwnd: must be a number of segments"},
           {{{"initcwnd", 10.5}}, "server.initcwnd"},
           {{{"cwnd", 10}}, "server.cwnd: unknown key"}}) {
    try {
      cn::scenario_from_json({{"server", bad}}, "s.json");
      ADD_FAILURE() << bad.dump() << " accepted";
    } catch (const chunkbench::Error& e) {
      EXPECT_NE(std::string(e.what()).find("s.json: " + says), std::string::npos) << e.what();
    }
  }
}
