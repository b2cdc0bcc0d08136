// chunkbench netem: run a command under a network scenario, check a scenario's fidelity, list
// presets, clean up after dead runs. The work is in chunkbench::netem; this file parses and prints.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "args.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/netem/check.hpp"
#include "chunkbench/netem/link.hpp"
#include "chunkbench/netem/netns.hpp"
#include "chunkbench/netem/process.hpp"
#include "chunkbench/netem/run.hpp"
#include "chunkbench/netem/scenario.hpp"
#include "chunkbench/netem/topology.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {
namespace {

namespace nm = chunkbench::netem;

// Flag -> scenario JSON key; the scenario parser validates the values.
const std::vector<std::pair<std::string, std::string>> kScenarioFlags = {
    {"delay", "delay"}, {"jitter", "jitter"}, {"rate", "rate"}, {"loss", "loss"}, {"queue", "queue"},
    {"up-delay", "up.delay"}, {"down-delay", "down.delay"}, {"up-jitter", "up.jitter"}, {"down-jitter", "down.jitter"},
    {"up-rate", "up.rate"}, {"down-rate", "down.rate"}, {"up-loss", "up.loss"}, {"down-loss", "down.loss"},
    {"up-queue", "up.queue"}, {"down-queue", "down.queue"}, {"mtu", "mtu"},
    {"cc", "sysctl.congestion_control"}, {"tcp-rmem", "sysctl.tcp_rmem"}, {"tcp-wmem", "sysctl.tcp_wmem"},
    {"slow-start-after-idle", "sysctl.tcp_slow_start_after_idle"},
    {"initcwnd", "server.initcwnd"}, {"initrwnd", "server.initrwnd"},
};

void add_scenario_options(Args& a) {
  a.option("delay", 0, "DUR", "one-way delay in each direction, e.g. 500ms (RTT = 2 x DUR)")
      .option("jitter", 0, "DUR", "uniform jitter of each packet's delay, each direction (no reordering)")
      .option("rate", 0, "RATE", "rate limit in each direction, e.g. 50mbit")
      .option("loss", 0, "P", "random loss in each direction, e.g. 0.1%")
      .option("queue", 0, "SIZE", "drop-tail queue per direction: 1000p (packets) or 6MB (default: one BDP, >= 100 packets)")
      .option("up-delay", 0, "DUR", "client->server only").option("down-delay", 0, "DUR", "server->client only")
      .option("up-jitter", 0, "DUR", "client->server only").option("down-jitter", 0, "DUR", "server->client only")
      .option("up-rate", 0, "RATE", "client->server only").option("down-rate", 0, "RATE", "server->client only")
      .option("up-loss", 0, "P", "client->server only").option("down-loss", 0, "P", "server->client only")
      .option("up-queue", 0, "SIZE", "client->server only").option("down-queue", 0, "SIZE", "server->client only")
      .option("mtu", 0, "BYTES", "MTU of the link devices (default 1500)")
      .option("cc", 0, "ALG", "default TCP congestion control in both namespaces, any the kernel has or loads (added to the host's allowed list)")
      .option("initcwnd", 0, "N", "initial congestion window (segments) on the server namespace's route to the client")
      .option("initrwnd", 0, "N", "initial receive window (segments) on the server namespace's route to the client")
      .option("tcp-rmem", 0, "'MIN DEF MAX'", "net.ipv4.tcp_rmem in both namespaces")
      .option("tcp-wmem", 0, "'MIN DEF MAX'", "net.ipv4.tcp_wmem in both namespaces (>= BDP for one flow to fill the link)")
      .option("slow-start-after-idle", 0, "0|1", "net.ipv4.tcp_slow_start_after_idle in both namespaces")
      .option("link", 'l', "NAME", "force the backend: kernel (netem), tun (userspace emulator), wondershaper (rate only)");
}

nm::Scenario scenario_from(const Args& a) {
  std::vector<std::pair<std::string, std::string>> overrides;
  for (const auto& [flag, key] : kScenarioFlags)
    if (auto v = a.maybe(flag)) overrides.emplace_back(key, *v);
  const auto& pos = a.positionals();
  if (pos.size() > 1) throw Error(Errc::usage, "expected at most one SCENARIO (a preset or a JSON file)");
  if (pos.empty() && overrides.empty())
    throw Error(Errc::usage, "give a SCENARIO (a preset, see 'chunkbench netem presets', or a JSON file) or flags like --delay 500ms --rate 50mbit");
  nm::Scenario base;
  base.name = "flags";
  if (!pos.empty()) base = nm::load_scenario(pos[0]);
  return nm::apply_overrides(base, overrides);
}

std::optional<nm::Backend> forced_backend(const Args& a) {
  if (auto v = a.maybe("link")) return nm::parse_backend(*v);
  return std::nullopt;
}

// A duration from option `name` (the shared units parser: 500ms, 2s, a bare number is seconds),
// at most an hour, or `fallback` when absent.
double seconds_option(const Args& a, const std::string& name, double fallback) {
  const double d = duration_option(a, name, fallback);
  if (d > 3600) throw Error(Errc::usage, "--" + name + ": " + a.get(name) + " is more than an hour");
  return d;
}

// Signals are taken synchronously (sigtimedwait) so teardown runs in normal code, not a handler.
sigset_t teardown_signals() {
  sigset_t s;
  sigemptyset(&s);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&s, sig);
  return s;
}

int run_presets(int argc, char** argv) {
  Args a("netem presets", "[--json]", "List the named scenarios. seed-* reproduce the seed's loopback shaping.");
  a.flag("json", 0, "print the presets as JSON");
  if (!a.parse(argc, argv, 3)) return 0;
  a.expect_positionals({});
  if (a.has("json")) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& n : nm::preset_names()) j[n] = nm::load_scenario(n).to_json();
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  for (const auto& n : nm::preset_names()) std::printf("%-15s %s\n", n.c_str(), nm::preset_summary(n).c_str());
  return 0;
}

int run_cleanup(int argc, char** argv) {
  Args a("netem cleanup", "[--all]",
         "Remove namespaces, processes and state files left by netem runs whose runner died (e.g. SIGKILL).");
  a.flag("all", 0, "also remove those of runs that are still alive");
  if (!a.parse(argc, argv, 3)) return 0;
  a.expect_positionals({});
  nm::require_net_admin();
  auto r = nm::cleanup_stale(a.has("all"));
  for (const auto& ns : r.namespaces) std::printf("deleted namespace %s\n", ns.c_str());
  for (int pid : r.killed) std::printf("killed process %d\n", pid);
  for (const auto& f : r.state_files) std::printf("removed %s\n", f.c_str());
  if (r.namespaces.empty() && r.state_files.empty()) std::printf("nothing to clean\n");
  return 0;
}

int run_check_cmd(int argc, char** argv) {
  Args a("netem check", "[SCENARIO] [SCENARIO FLAGS] [--json]",
         "Build the scenario's namespaces and link, then measure RTT (TCP connect and a 32-byte request/response),\n"
         "bulk TCP throughput each way (over the final window, after slow start) and random loss (paced UDP probes),\n"
         "and print them beside the configured values. 'ok' means within max(2 %, 2 ms) for RTT and 5 % for rate.\n"
         "The bulk transfers use the congestion control a run would (the namespaces' default: --cc, else the host's)\n"
         "and the output says which; BBR at long RTTs stays below the rate, so measure the link itself with --cc cubic.");
  add_scenario_options(a);
  a.flag("json", 0, "print the result as JSON")
      .option("socket-cc", 0, "ALG", "congestion control of the bulk-transfer sockets (default: the namespaces', as a run uses)")
      .option("bulk-seconds", 0, "S", "length of each bulk transfer (default: slow start + window)")
      .option("window", 0, "S", "measurement window at the end of each transfer (default max(2 s, 3 RTT))")
      .option("streams", 0, "N", "parallel TCP connections per bulk transfer (default 1)")
      .flag("no-rtt", 0, "skip the RTT measurement")
      .flag("no-bulk", 0, "skip the throughput measurement")
      .flag("no-loss", 0, "skip the UDP loss probe")
      .flag("strict", 0, "exit 1 when a measured RTT or rate is outside its tolerance");
  if (!a.parse(argc, argv, 3)) return 0;
  nm::Scenario s = scenario_from(a);
  nm::require_net_admin();
  nm::CheckOptions o;
  o.bulk = !a.has("no-bulk");
  o.rtt = !a.has("no-rtt");
  o.streams = static_cast<int>(a.get_int("streams", 1, 1, 64));
  o.loss = !a.has("no-loss");
  o.congestion_control = a.get("socket-cc", "default");
  if (o.congestion_control == "default") o.congestion_control.clear();
  o.bulk_seconds = seconds_option(a, "bulk-seconds", 0);
  o.window_seconds = seconds_option(a, "window", 0);

  // SIGUSR2 only ends the watcher below when the check finishes normally.
  sigset_t sigs = teardown_signals();
  sigaddset(&sigs, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  nm::Topology topo(s);
  // A signal mid-check: the measuring sockets cannot be interrupted cleanly, so delete this run's
  // namespaces from a watcher thread and exit; exiting closes the link devices with the process.
  std::thread watcher([sigs, run_id = topo.run_id()] {
    int sig = 0;
    if (sigwait(&sigs, &sig) != 0 || sig == SIGUSR2) return;
    std::fprintf(stderr, "chunkbench netem check: %s, tearing down %s\n", strsignal(sig), run_id.c_str());
    nm::remove_run(run_id);
    _exit(128 + sig);
  });
  struct StopWatcher {
    std::thread& t;
    ~StopWatcher() {
      pthread_kill(t.native_handle(), SIGUSR2);
      t.join();
    }
  } stop_watcher{watcher};

  auto choice = nm::choose_backend(s, topo, forced_backend(a));
  if (!a.has("json")) std::fprintf(stderr, "link: %s — %s\n", nm::backend_name(choice.backend), choice.reason.c_str());
  auto link = nm::make_link(choice.backend, topo);
  nm::CheckResult r = nm::run_check(topo, *link, o);
  r.link["reason"] = choice.reason;
  if (a.has("json")) std::printf("%s\n", r.to_json().dump(2).c_str());
  else std::fputs(r.to_text().c_str(), stdout);
  link.reset();
  topo.teardown();
  if (a.has("strict")) {
    bool ok = r.connect_rtt_ms.empty() || nm::rtt_within_tolerance(r.configured_rtt_ms, r.echo_rtt_median_ms());
    for (const auto* b : {&r.up, &r.down})
      if (b->total_s > 0 && b->configured_bps > 0) ok = ok && nm::rate_within_tolerance(b->configured_bps, b->ip_bps);
    return ok ? 0 : 1;
  }
  return 0;
}

// Prints the link's counters of a finished run, one line per direction.
void print_counters(const nlohmann::json& counters) {
  if (!counters.contains("up")) return;
  for (const char* d : {"up", "down"}) {
    const auto& c = counters[d];
    std::fprintf(stderr, "chunkbench netem: link %s: %llu packets in, %llu out, dropped %llu by loss, %llu by the queue; queue delay mean %.1f ms, max %.1f ms\n",
                 d, c["packets_in"].get<unsigned long long>(), c["packets_out"].get<unsigned long long>(),
                 c["dropped_loss"].get<unsigned long long>(), c["dropped_queue"].get<unsigned long long>(),
                 c["queue_delay_mean_us"].get<double>() / 1e3, c["queue_delay_max_us"].get<double>() / 1e3);
  }
}

int run_run_cmd(int argc, char** argv) {
  // Everything after "--" is the client command, verbatim.
  int split = argc;
  for (int i = 3; i < argc; ++i)
    if (!std::strcmp(argv[i], "--")) {
      split = i;
      break;
    }
  Args a("netem run", "[SCENARIO] [SCENARIO FLAGS] [--server 'CMD'] -- CLIENT_CMD [ARGS...]",
         "Create client and server namespaces joined by the scenario's link, start the server command (via sh -c)\n"
         "in the server namespace, then the client command in the client namespace, wait for the client and return\n"
         "its exit status. Both get SERVER_ADDR, CLIENT_ADDR and CHUNKBENCH_NETEM_RUN. The client's stdout is ours;\n"
         "the server's output goes to stderr, each line prefixed '[server] ', or to --server-log. At the end every\n"
         "process in the server namespace gets SIGTERM and --server-grace seconds to exit (so a server writes its\n"
         "statistics) before SIGKILL. Everything is torn down at the end, on Ctrl-C/SIGTERM, or — if the runner\n"
         "itself is killed — by its watchdog process (failing that, by the next run or 'netem cleanup').");
  add_scenario_options(a);
  a.option("server", 's', "CMD", "server command, run with sh -c in the server namespace")
      .option("server-log", 0, "FILE", "append the server's stdout and stderr to FILE (default: stderr, prefixed)")
      .option("server-grace", 0, "S", "seconds the server gets to exit after SIGTERM at the end (default 5)")
      .option("wait-port", 0, "PORT", "before starting the client, wait until something listens on SERVER_ADDR:PORT")
      .option("wait-timeout", 0, "S", "how long --wait-port waits (default 30)")
      .option("result", 0, "FILE", "write the run's record as JSON: scenario, link choice, sysctls, routes, counters, exits")
      .flag("quiet", 'q', "do not print the link choice and counters");
  if (!a.parse(split, argv, 3)) return 0;
  if (split + 1 >= argc) throw Error(Errc::usage, "netem run: give the client command after '--' (see 'chunkbench netem run --help')");
  nm::RunSpec spec;
  spec.client_command.assign(argv + split + 1, argv + argc);
  spec.scenario = scenario_from(a);
  spec.backend = forced_backend(a);
  // Options are checked before any namespace exists.
  if (auto cmd = a.maybe("server")) spec.server_command = {"sh", "-c", *cmd};
  if (a.has("wait-port")) spec.wait_port = static_cast<std::uint16_t>(a.get_int("wait-port", 0, 1, 65535));
  spec.wait_timeout_s = seconds_option(a, "wait-timeout", 30);
  spec.server_grace_s = seconds_option(a, "server-grace", 5);
  spec.server_log = a.get("server-log", "");
  spec.server_output = [](const std::string& line) { std::fprintf(stderr, "[server] %s\n", line.c_str()); };
  const bool quiet = a.has("quiet");
  nm::require_net_admin();

  // Signals are taken synchronously and polled by the run, so teardown runs in normal code.
  sigset_t sigs = teardown_signals();
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  spec.interrupted = [sigs] {
    timespec zero{0, 0};
    int sig = sigtimedwait(&sigs, nullptr, &zero);
    return sig > 0 ? sig : 0;
  };
  spec.on_link_ready = [&](const nm::RunResult& r) {
    if (!quiet) std::fprintf(stderr, "chunkbench netem: %s; link %s — %s\n", r.scenario.describe().c_str(), nm::backend_name(r.backend), r.backend_reason.c_str());
  };
  nm::RunResult r = nm::run(spec);
  if (r.signal) std::fprintf(stderr, "chunkbench netem: %s, stopped the run\n", strsignal(r.signal));
  if (!quiet) print_counters(r.counters);
  if (r.server_killed) std::fprintf(stderr, "chunkbench netem: the server did not exit within %g s of SIGTERM and was killed\n", spec.server_grace_s);
  if (auto f = a.maybe("result")) {
    std::ofstream out(*f);
    out << r.to_json().dump(2) << "\n";
    if (!out) throw Error(Errc::io, "--result: cannot write " + *f);
  }
  if (!r.failure.empty()) throw Error(Errc::io, "netem run: " + r.failure);
  if (r.signal) return 128 + r.signal;
  return r.client_status;
}

}  // namespace

int run_netem(int argc, char** argv) {
  const char* usage =
      "usage: chunkbench netem SUBCOMMAND ...\n\n"
      "  run      run a client command (and a server command) under a network scenario\n"
      "  check    measure a scenario's RTT, throughput and loss beside the configured values\n"
      "  presets  list the named scenarios\n"
      "  cleanup  remove what runs killed mid-way left behind\n\n"
      "SCENARIO is a preset name or a JSON file; flags (--delay 500ms --rate 50mbit --loss 0.1% ...) refine it.\n";
  if (argc < 3 || !std::strcmp(argv[2], "--help") || !std::strcmp(argv[2], "-h")) {
    std::fputs(usage, argc < 3 ? stderr : stdout);
    return argc < 3 ? 2 : 0;
  }
  std::string sub = argv[2];
  if (sub == "run") return run_run_cmd(argc, argv);
  if (sub == "check") return run_check_cmd(argc, argv);
  if (sub == "presets") return run_presets(argc, argv);
  if (sub == "cleanup") return run_cleanup(argc, argv);
  throw Error(Errc::usage, "unknown subcommand '" + sub + "' (run, check, presets, cleanup)");
}

}  // namespace chunkbench::cli
