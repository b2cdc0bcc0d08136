// Tests with real namespaces, TUN/veth devices and qdiscs. They need root (CAP_NET_ADMIN and
// CAP_SYS_ADMIN) and skip with the reason otherwise. Every test checks afterwards that nothing of
// its runs is left: no namespace, no state file, no process, and the host's links and qdiscs as before.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "chunkbench/error.hpp"
#include "chunkbench/netem/check.hpp"
#include "chunkbench/netem/link.hpp"
#include "chunkbench/netem/netns.hpp"
#include "chunkbench/netem/process.hpp"
#include "chunkbench/netem/scenario.hpp"
#include "chunkbench/netem/topology.hpp"

namespace cn = chunkbench::netem;

namespace {

const std::string kBin = CHUNKBENCH_BIN;
// Large enough send buffers for one flow to fill 50 Mbit/s x 1 s RTT (6.25 MB); the host default
// of 4 MiB would cap it near 20 Mbit/s (http-and-network.md section 5).
const std::vector<std::pair<std::string, std::string>> kBigBuffers = {
    {"sysctl.tcp_wmem", "4096 16384 33554432"}, {"sysctl.tcp_rmem", "4096 131072 33554432"}};

std::string host_state() {
  // Addresses and stats change on their own; names, flags, MTUs and qdiscs must not.
  std::string links = cn::run_checked({"ip", "-o", "link", "show"});
  std::string qdiscs = cn::run_checked({"tc", "qdisc", "show"});
  return links + qdiscs;
}

bool wait_for(const std::function<bool()>& cond, double seconds) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return cond();
}

bool file_exists(const std::string& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0;
}

std::vector<std::string> namespaces_of(const std::string& run_id) {
  std::vector<std::string> out;
  for (const auto& ns : cn::list_chunkbench_namespaces())
    if (ns.rfind(run_id + "-", 0) == 0) out.push_back(ns);
  return out;
}

std::vector<std::string> namespaces_of_pid(pid_t pid) { return namespaces_of(std::string(cn::kNamePrefix) + std::to_string(pid)); }

// An ordinary thread that sleeps 1 ms at a time beside a check and records how late it wakes: the
// scheduling delay the check's own threads (the RTT probe's client and echo server) meet on this
// machine at that time. The emulator thread measures its own lateness in its counters.
class WakeupProbe {
 public:
  WakeupProbe() : thread_([this] { run(); }) {}
  WakeupProbe(const WakeupProbe&) = delete;
  WakeupProbe& operator=(const WakeupProbe&) = delete;
  ~WakeupProbe() { stop(); }
  // Stops the probe and returns the worst lateness it saw.
  double stop() {
    if (thread_.joinable()) {
      stop_ = true;
      thread_.join();
    }
    return static_cast<double>(max_ns_.load()) / 1e6;
  }

 private:
  void run() {
    while (!stop_.load()) {
      const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
      std::this_thread::sleep_until(due);
      const std::int64_t late = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - due).count();
      if (late > max_ns_.load()) max_ns_ = late;
    }
  }
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> max_ns_{0};
  std::thread thread_;  // last: it starts with the fields above in place
};

class NetemRoot : public testing::Test {
 public:
  void SetUp() override {
    if (!cn::have_net_admin()) GTEST_SKIP() << "needs root (CAP_NET_ADMIN + CAP_SYS_ADMIN) to create namespaces and devices";
    if (!file_exists("/dev/net/tun")) GTEST_SKIP() << "/dev/net/tun is missing";
    before_ = host_state();
  }
  void TearDown() override {
    if (before_.empty()) return;
    EXPECT_TRUE(namespaces_of_pid(getpid()).empty()) << "namespaces of this process left behind";
    // Runners this test started have ended; any namespace whose runner is gone is a leftover. Another
    // suite on the machine may hold such namespaces for a moment (its SIGKILL test leaves some for
    // its cleanup to find), so a leftover is one that nobody removes within a few seconds.
    auto orphans = [] {
      std::vector<std::string> out;
      for (const auto& ns : cn::list_chunkbench_namespaces())
        if (::kill(std::stoi(ns.substr(std::string(cn::kNamePrefix).size())), 0) != 0) out.push_back(ns);
      return out;
    };
    if (!wait_for([&] { return orphans().empty(); }, 10))
      for (const auto& ns : orphans()) ADD_FAILURE() << ns << " outlived its runner";
    for (const auto& id : run_ids_) {
      EXPECT_TRUE(namespaces_of(id).empty()) << id;
      EXPECT_FALSE(file_exists(std::string(cn::kStateDir) + "/" + id + ".json")) << id;
    }
    EXPECT_EQ(host_state(), before_) << "the host's links or qdiscs changed";
  }
  std::string before_;
  std::vector<std::string> run_ids_;
  double thread_late_ms_ = 0;  // worst wakeup lateness of an ordinary thread during the last check
};

cn::Scenario scenario(const std::string& delay, const std::string& rate, std::vector<std::pair<std::string, std::string>> extra = {}) {
  std::vector<std::pair<std::string, std::string>> o = kBigBuffers;
  if (!delay.empty()) o.emplace_back("delay", delay);
  if (!rate.empty()) o.emplace_back("rate", rate);
  o.insert(o.end(), extra.begin(), extra.end());
  cn::Scenario base;
  base.name = "test";
  return cn::apply_overrides(base, o);
}

cn::CheckResult check(NetemRoot& t, const cn::Scenario& s, std::optional<cn::Backend> forced, const cn::CheckOptions& o) {
  cn::Topology topo(s);
  t.run_ids_.push_back(topo.run_id());
  auto choice = cn::choose_backend(s, topo, forced);
  auto link = cn::make_link(choice.backend, topo);
  WakeupProbe probe;
  auto r = cn::run_check(topo, *link, o);
  t.thread_late_ms_ = probe.stop();
  std::printf("%s", r.to_text().c_str());
  std::printf("counters: %s\nordinary thread wakeup lateness: max %.3f ms\n", r.counters.dump().c_str(), t.thread_late_ms_);
  return r;
}

// Congestion control is pinned, never the host's default, which may be BBR, whose startup and
// PROBE_RTT at long RTTs would measure BBR, not the link. The namespaces default to CUBIC where
// the host allows it as a default, else to Reno (always allowed); the bulk flows use CUBIC per
// socket wherever the kernel has it (root may set any available algorithm), else Reno.
bool listed(const std::string& sysctl, const std::string& cc) {
  return (" " + cn::read_sysctl(sysctl) + " ").find(" " + cc + " ") != std::string::npos;
}

std::string flow_cc() { return listed("net.ipv4.tcp_available_congestion_control", "cubic") ? "cubic" : "reno"; }

cn::Scenario pinned(cn::Scenario s) {
  const bool cubic = listed("net.ipv4.tcp_allowed_congestion_control", "cubic");
  return cn::apply_overrides(s, {{"sysctl.congestion_control", cubic ? "cubic" : "reno"}});
}

// Four flows per direction: one flow's HyStart may leave slow start early when a busy machine
// inflates its RTT samples, after which CUBIC adds only 0.4 t^3 segments (t in seconds, whatever
// the RTT); four flows need a quarter of the BDP each and grow four times as fast together.
cn::CheckOptions pinned_options() {
  cn::CheckOptions o;
  o.congestion_control = flow_cc();
  o.streams = 4;
  return o;
}

// The lateness a round trip may pick up beyond the link's delay on a busy machine, as measured
// during the check: each direction's worst release by the emulator, twice its worst wakeup (before
// it reads a packet), and two wakeups of ordinary threads (the echo server's, the client's). A
// kernel link has no counters; its timers get the ordinary threads' lateness as a stand-in.
double round_trip_lateness_ms(const cn::CheckResult& r, double thread_late_ms) {
  const auto& c = r.counters;
  double emulator = 2 * thread_late_ms;
  if (c.contains("wake_late_max_us"))
    emulator = (c["up"]["release_late_max_us"].get<double>() + c["down"]["release_late_max_us"].get<double>() +
                2 * c["wake_late_max_us"].get<double>()) / 1e3;
  return emulator + 2 * thread_late_ms;
}

// What the link guarantees, with margins that hold on a loaded two-core machine. Strict figures
// (RTT within 2 %, rate within 5 %) are what `netem check` and the benchmarks report; a test
// checks the mechanism:
//   - RTT: propagation is a lower bound, exact: nothing leaves before its due time. Above, the
//     delay is applied once each way: the check's tolerance plus the lateness measured meanwhile.
//   - rate: the limiter limits (a 50 Mbit/s link never delivers 60), and four saturating flows
//     past slow start get at least half of it together; how close one flow gets to all of it is
//     for `netem check` to say. That the emulator serialises at exactly the rate is checked on
//     its own timeline (TunDropTailQueueInPackets).
constexpr double kRateCeiling = 1.20, kRateFloor = 0.50;

void expect_rtt_applied(double configured_ms, double measured_ms, double lateness_ms, const char* what) {
  EXPECT_GE(measured_ms, configured_ms) << what << ": faster than the link's propagation delay";
  EXPECT_LE(measured_ms, configured_ms + std::max(0.02 * configured_ms, 2.0) + lateness_ms)
      << what << " vs configured " << configured_ms << " ms, with " << lateness_ms << " ms of measured lateness allowed";
}

void expect_rate_limited(const cn::BulkResult& b, double configured_bps, const char* dir) {
  EXPECT_LE(b.ip_bps, kRateCeiling * configured_bps)
      << dir << ": " << b.ip_bps / 1e6 << " Mbit/s through a " << configured_bps / 1e6 << " Mbit/s limiter";
  EXPECT_GE(b.ip_bps, kRateFloor * configured_bps)
      << dir << ": " << b.ip_bps / 1e6 << " Mbit/s of " << configured_bps / 1e6 << " (final window " << b.final_ip_bps / 1e6
      << ", " << b.congestion_control << ")";
  EXPECT_GT(b.window_s, 0.5) << dir;
}

void expect_link_works(const cn::CheckResult& r, double thread_late_ms) {
  const double late = round_trip_lateness_ms(r, thread_late_ms);
  expect_rtt_applied(r.configured_rtt_ms, r.connect_rtt_median_ms(), late, "connect RTT (median)");
  expect_rtt_applied(r.configured_rtt_ms, r.echo_rtt_median_ms(), late, "request/response RTT (median)");
  expect_rate_limited(r.up, r.up.configured_bps, "up");
  expect_rate_limited(r.down, r.down.configured_bps, "down");
  EXPECT_EQ(r.up.congestion_control, flow_cc());
  EXPECT_EQ(r.down.congestion_control, flow_cc());
  for (const char* d : {"up", "down"}) {
    if (r.counters.contains(d)) {
      EXPECT_EQ(r.counters[d]["dropped_overflow"], 0) << d;
    }
  }
  EXPECT_EQ(r.loss_up.received, r.loss_up.sent);
  EXPECT_EQ(r.loss_down.received, r.loss_down.sent);
}

}  // namespace

// "50 ms", "250 ms", "500 ms" are one-way delays in each direction, as the seed's `netem delay
// 500ms` on lo was: RTT 100 ms, 500 ms and 1 s.
TEST_F(NetemRoot, TunFidelity50msEachWay100Mbit) {
  auto r = check(*this, pinned(scenario("50ms", "100mbit")), cn::Backend::tun, pinned_options());
  EXPECT_EQ(r.configured_rtt_ms, 100);
  expect_link_works(r, thread_late_ms_);
}

TEST_F(NetemRoot, TunFidelity250msEachWay20Mbit) {
  auto r = check(*this, pinned(scenario("250ms", "20mbit")), cn::Backend::tun, pinned_options());
  EXPECT_EQ(r.configured_rtt_ms, 500);
  expect_link_works(r, thread_late_ms_);
}

TEST_F(NetemRoot, TunFidelitySeed500msEachWay50Mbit) {
  auto r = check(*this, pinned(cn::apply_overrides(cn::load_scenario("seed-both"), kBigBuffers)), cn::Backend::tun, pinned_options());
  EXPECT_EQ(r.configured_rtt_ms, 1000);
  expect_link_works(r, thread_late_ms_);
}

TEST_F(NetemRoot, TunLossOnePercent) {
  cn::CheckOptions o;
  o.bulk = false;
  o.rtt = false;
  auto r = check(*this, scenario("10ms", "", {{"loss", "1%"}}), cn::Backend::tun, o);
  for (const auto* l : {&r.loss_up, &r.loss_down}) {
    EXPECT_GE(l->sent, 10000u);
    // Binomial sd at n = 10,000, p = 1 % is 0.1 %: four of them either side.
    EXPECT_NEAR(l->measured(), 0.01, 0.004) << l->sent - l->received << " of " << l->sent << " lost";
  }
  // The emulator's own counter agrees with what the receivers saw.
  auto up = r.counters["up"];
  EXPECT_EQ(up["dropped_loss"].get<std::uint64_t>(), up["packets_in"].get<std::uint64_t>() - up["packets_out"].get<std::uint64_t>());
}

TEST_F(NetemRoot, TunDropTailQueueInPackets) {
  // A 20-packet queue at 10 Mbit/s: a bulk flow must see queue drops and never more than 20 packets
  // (30,000 bytes) of queue, nor more than 20 x 1.2 ms of queueing delay. Queue delays are computed
  // on the emulated timeline, so these bounds are exact whatever the load; so is the limiter's.
  cn::CheckOptions o;
  o.rtt = false;
  o.loss = false;
  o.bulk_seconds = 2;
  auto r = check(*this, scenario("5ms", "10mbit", {{"queue", "20p"}}), cn::Backend::tun, o);
  auto down = r.counters["down"];
  EXPECT_GT(down["dropped_queue"].get<std::uint64_t>(), 0u);
  EXPECT_LE(down["queue_peak_bytes"].get<std::uint64_t>(), 20u * 1500);
  EXPECT_LE(down["queue_delay_max_us"].get<double>(), 20 * 1200 + 100);
  // A drop means a full queue: the 20th full-size packet waited for the 19 ahead of it, less what
  // of the first had left, i.e. at least 18 x 1.2 ms at 10 Mbit/s (a faster limiter would wait less).
  EXPECT_GE(down["queue_delay_max_us"].get<double>(), 18 * 1200);
  EXPECT_LE(r.down.ip_bps, kRateCeiling * 10e6) << "the limiter must limit";
  EXPECT_LE(r.up.ip_bps, kRateCeiling * 10e6) << "the limiter must limit";
}

TEST_F(NetemRoot, WondershaperRateOnly) {
  // magnific0's class 1:20 (bulk TCP upload) is capped at 95 % of the rate; the ifb download class
  // at the full rate. No delay is added: the RTT is the machine's own (well under a millisecond
  // idle; the bound leaves room for a busy CPU, far below any delay a scenario would set).
  cn::CheckOptions o = pinned_options();
  o.loss = false;
  o.bulk_seconds = 3;
  o.window_seconds = 2;
  auto r = check(*this, pinned(scenario("", "50mbit")), cn::Backend::wondershaper, o);
  EXPECT_EQ(r.link["backend"], "wondershaper");
  EXPECT_LT(r.echo_rtt_median_ms(), 20.0);
  expect_rate_limited(r.up, 0.95 * 50e6, "up");
  expect_rate_limited(r.down, 50e6, "down");
}

TEST_F(NetemRoot, WondershaperRefusesDelay) {
  auto s = scenario("10ms", "50mbit");
  cn::Topology topo(s);
  run_ids_.push_back(topo.run_id());
  try {
    cn::choose_backend(s, topo, cn::Backend::wondershaper);
    FAIL() << "wondershaper accepted a delay";
  } catch (const chunkbench::Error& e) {
    EXPECT_NE(std::string(e.what()).find("rate only"), std::string::npos) << e.what();
  }
}

TEST_F(NetemRoot, KernelBackendOnlyWithNetem) {
  auto s = pinned(scenario("20ms", "20mbit"));
  std::optional<cn::CheckResult> r;
  {
    cn::Topology topo(s);
    run_ids_.push_back(topo.run_id());
    bool netem = cn::kernel_has_netem(topo.client_ns());
    auto automatic = cn::choose_backend(s, topo, std::nullopt);
    EXPECT_EQ(automatic.backend, netem ? cn::Backend::kernel : cn::Backend::tun) << automatic.reason;
    EXPECT_NE(automatic.reason.find(netem ? "present" : "absent"), std::string::npos) << automatic.reason;
    if (!netem) {
      try {
        cn::choose_backend(s, topo, cn::Backend::kernel);
        FAIL() << "forced kernel backend accepted without sch_netem";
      } catch (const chunkbench::Error& e) {
        EXPECT_NE(std::string(e.what()).find("no sch_netem"), std::string::npos) << e.what();
      }
      GTEST_SKIP() << "this kernel has no sch_netem (" << automatic.reason << "); the kernel backend cannot run here";
    }
    auto link = cn::make_link(cn::Backend::kernel, topo);
    WakeupProbe probe;
    r = cn::run_check(topo, *link, pinned_options());
    thread_late_ms_ = probe.stop();
  }
  expect_link_works(*r, thread_late_ms_);
}

TEST_F(NetemRoot, RunPassesAddressesAndExitCode) {
  std::string out = testing::TempDir() + "/netem-run-env.txt";
  ::unlink(out.c_str());
  std::string result = testing::TempDir() + "/netem-run-result.json";
  // The client writes its line once the server's is there (polling, not a fixed sleep that a
  // busy machine can outlast), so the order of the lines is fixed.
  auto r = cn::run_command({kBin, "netem", "run", "--delay", "5ms", "-q", "--result", result, "--server",
                            "echo server $SERVER_ADDR $CLIENT_ADDR > " + out + "; exec sleep 100", "--",
                            "sh", "-c", "for i in $(seq 600); do grep -q ^server " + out + " 2>/dev/null && break; sleep 0.05; done; "
                            "echo client $SERVER_ADDR $CLIENT_ADDR >> " + out + "; exit 42"});
  EXPECT_EQ(r.status, 42) << r.output;
  // The result records what was used: scenario, backend and why, sysctls in both namespaces, counters.
  std::ifstream rin(result);
  auto j = nlohmann::json::parse(rin);
  EXPECT_EQ(j["scenario"]["up"]["delay"], "5ms");
  EXPECT_EQ(j["link"]["backend"], "tun");
  EXPECT_NE(j["reason"].get<std::string>().find("sch_netem"), std::string::npos);
  EXPECT_TRUE(j["sysctls"]["server"].contains("net.ipv4.tcp_wmem"));
  EXPECT_TRUE(j["counters"]["up"].contains("packets_out"));  // no traffic crossed in this run
  EXPECT_EQ(j["client_exit"], 42);
  std::ifstream in(out);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "server 10.77.0.2 10.77.0.1\nclient 10.77.0.2 10.77.0.1\n");
}

TEST_F(NetemRoot, RunServerCrashEndsTheRun) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = cn::run_command({kBin, "netem", "run", "--delay", "5ms", "-q", "--server", "sleep 0.5; exit 3", "--", "sleep", "60"});
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("server command exited with status 3"), std::string::npos) << r.output;
  EXPECT_LT(s, 45);  // the run ends with the server, not when the client's 60 s sleep would
}

TEST_F(NetemRoot, CtrlCTearsDown) {
  cn::Child runner = cn::Child::spawn({kBin, "netem", "run", "seed-delay", "-q", "--server", "sleep 300", "--", "sleep", "300"}, {"", {}, true});
  std::string id = std::string(cn::kNamePrefix) + std::to_string(runner.pid()) + "-0";
  ASSERT_TRUE(wait_for([&] { return cn::pids_in_netns(cn::netns_path(id + "-c")).size() == 1; }, 15)) << "client never started";
  ::kill(runner.pid(), SIGINT);
  EXPECT_EQ(runner.wait(), 128 + SIGINT);
  run_ids_.push_back(id);
}

// Round 0: SIGKILL of the runner; its watchdog removes the run at once. Rounds 1 and 2: the
// watchdog is killed too (as a machine-wide kill would), so the leftovers stay until a later run
// (round 1) or `netem cleanup` (round 2) removes them.
TEST_F(NetemRoot, SigkillOfRunnerIsCleanedByWatchdogLaterRunAndCleanup) {
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // The server and client leave grandchildren (the backgrounded sleeps) that no death signal reaches.
    cn::Child runner = cn::Child::spawn({kBin, "netem", "run", "seed-both", "-q", "--server", "sleep 300 & sleep 301", "--",
                                         "sh", "-c", "sleep 302 & sleep 303"},
                                        {"", {}, false});
    std::string id = std::string(cn::kNamePrefix) + std::to_string(runner.pid()) + "-0";
    const std::string state = std::string(cn::kStateDir) + "/" + id + ".json";
    ASSERT_TRUE(wait_for([&] { return cn::pids_in_netns(cn::netns_path(id + "-c")).size() >= 2; }, 15)) << "client never started";
    ASSERT_TRUE(wait_for([&] { return cn::pids_in_netns(cn::netns_path(id + "-s")).size() >= 2; }, 5));
    auto orphans = cn::pids_in_netns(cn::netns_path(id + "-s"));
    auto client_orphans = cn::pids_in_netns(cn::netns_path(id + "-c"));
    orphans.insert(orphans.end(), client_orphans.begin(), client_orphans.end());
    pid_t watchdog = -1;
    {
      std::ifstream in(state);
      watchdog = nlohmann::json::parse(in).at("watchdog_pid").get<pid_t>();
    }
    ASSERT_GT(watchdog, 0);
    if (round > 0) ::kill(watchdog, SIGKILL);
    ::kill(runner.pid(), SIGKILL);
    runner.wait();
    run_ids_.push_back(id);
    if (round == 0) {
      EXPECT_TRUE(wait_for([&] { return namespaces_of(id).empty() && !file_exists(state); }, 10)) << "the watchdog did not clean up";
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      // Nobody could clean: the namespaces and their orphans are still there.
      EXPECT_EQ(namespaces_of(id).size(), 2u);
      EXPECT_FALSE(cn::pids_in_netns(cn::netns_path(id + "-s")).empty());
      if (round == 1) {
        cn::Topology later(scenario("1ms", ""));  // a later run removes the dead run's leftovers first
        run_ids_.push_back(later.run_id());
        EXPECT_TRUE(namespaces_of(id).empty());
      } else {
        auto r = cn::run_command({kBin, "netem", "cleanup"});
        EXPECT_EQ(r.status, 0) << r.output;
        EXPECT_NE(r.output.find("deleted namespace " + id + "-c"), std::string::npos) << r.output;
      }
      EXPECT_FALSE(file_exists(state));
    }
    for (pid_t p : orphans) {
      // Killed; at most a zombie waiting for its new parent to reap it.
      std::ifstream st("/proc/" + std::to_string(p) + "/stat");
      std::string line;
      if (std::getline(st, line)) {
        EXPECT_NE(line.find(") Z "), std::string::npos) << line;
      }
    }
  }
}

TEST(NetemNoRoot, ClearErrorWithoutPrivileges) {
  if (!cn::have_net_admin()) {
    auto r = cn::run_command({kBin, "netem", "check", "seed-delay"});
    EXPECT_EQ(r.status, 2);
    EXPECT_NE(r.output.find("needs root"), std::string::npos) << r.output;
    return;
  }
  // As root: drop to nobody for one run.
  if (cn::run_command({"sh", "-c", "command -v setpriv"}).status != 0) GTEST_SKIP() << "setpriv (util-linux) is not installed";
  auto r = cn::run_command({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", kBin, "netem", "check", "seed-delay"});
  if (r.status == 126 || r.status == 127 || r.output.find("Permission denied") != std::string::npos)
    GTEST_SKIP() << "user nobody cannot execute " << kBin << " (a parent directory is private): " << r.output;
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("needs root, or CAP_NET_ADMIN and CAP_SYS_ADMIN"), std::string::npos) << r.output;
}

TEST_F(NetemRoot, SysctlsAppliedInsideTheNamespacesOnly) {
  const std::string host_wmem = cn::read_sysctl("net.ipv4.tcp_wmem");
  const std::string host_idle = cn::read_sysctl("net.ipv4.tcp_slow_start_after_idle");
  {
    cn::Topology topo(scenario("1ms", "", {{"sysctl.tcp_slow_start_after_idle", "0"}, {"sysctl.congestion_control", "reno"}}));
    run_ids_.push_back(topo.run_id());
    for (const char* side : {"client", "server"}) {
      const auto& k = topo.sysctls()[side];
      EXPECT_EQ(k["net.ipv4.tcp_wmem"], "4096 16384 33554432") << side;
      EXPECT_EQ(k["net.ipv4.tcp_rmem"], "4096 131072 33554432") << side;
      EXPECT_EQ(k["net.ipv4.tcp_slow_start_after_idle"], "0") << side;
      EXPECT_EQ(k["net.ipv4.tcp_congestion_control"], "reno") << side;
    }
    cn::ScopedNetns in(topo.server_path());
    EXPECT_EQ(cn::read_sysctl("net.ipv4.tcp_congestion_control"), "reno");
  }
  EXPECT_EQ(cn::read_sysctl("net.ipv4.tcp_wmem"), host_wmem);
  EXPECT_EQ(cn::read_sysctl("net.ipv4.tcp_slow_start_after_idle"), host_idle);
}

TEST_F(NetemRoot, RunRealServerAndClientAcrossTheLink) {
  if (cn::run_command({"sh", "-c", "command -v iperf3"}).status != 0) GTEST_SKIP() << "iperf3 is not installed";
  // iperf3 through a 20 ms / 20 Mbit link: the client must get its answer, then teardown must stop the
  // server, which would otherwise run forever.
  auto r = cn::run_command({kBin, "netem", "run", "--delay", "10ms", "--rate", "20mbit", "-q",
                            "--server", "exec iperf3 -s -B $SERVER_ADDR -p 5201", "--wait-port", "5201", "--",
                            "sh", "-c", "iperf3 -c $SERVER_ADDR -p 5201 -t 2 -J > /dev/null"});
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST_F(NetemRoot, TunJitterSpreadsDelayWithinItsBounds) {
  // 20 ms +- 5 ms each way. The emulator holds every packet for a drawn delay in [15, 25] ms (in
  // order: a packet never leaves before the one ahead of it, whose due time is also within the
  // bound of this one's arrival) and releases it when its thread runs, which it measures: each
  // packet's stay is within [15 ms, 25 ms + the thread's worst release lateness], exactly.
  cn::CheckOptions o;
  o.bulk = false;
  o.loss = false;
  o.rtt_samples = 20;
  auto r = check(*this, scenario("20ms", "", {{"jitter", "5ms"}}), cn::Backend::tun, o);
  for (const char* dir : {"up", "down"}) {
    const auto& c = r.counters[dir];
    SCOPED_TRACE(dir);
    const double late_ms = c["release_late_max_us"].get<double>() / 1e3;
    const double min_ms = c["residence_min_us"].get<double>() / 1e3, max_ms = c["residence_max_us"].get<double>() / 1e3;
    EXPECT_GE(min_ms, 15.0);
    EXPECT_LE(max_ms, 25.0 + late_ms);
    EXPECT_GT(max_ms - min_ms, 2.0) << "jitter had no visible effect";
  }
  // End to end, a sample can only add to that: the emulator's wait before it reads each packet
  // and the wakeups of the probe's own two threads, all measured meanwhile.
  std::vector<double> rtt = r.echo_rtt_ms;
  ASSERT_FALSE(rtt.empty());
  std::sort(rtt.begin(), rtt.end());
  const double late = round_trip_lateness_ms(r, thread_late_ms_);
  EXPECT_GE(rtt.front(), 30.0) << "faster than the shortest drawn delay each way";
  EXPECT_LE(rtt.back(), 50.0 + late) << "with " << late << " ms of measured lateness allowed";
  EXPECT_GT(rtt.back() - rtt.front(), 2.0) << "jitter had no visible effect end to end";
}
