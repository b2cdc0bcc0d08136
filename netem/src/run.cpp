#include "chunkbench/netem/run.hpp"

#include <signal.h>
#include <poll.h>

#include <chrono>
#include <thread>

#include "chunkbench/error.hpp"
#include "chunkbench/netem/netns.hpp"
#include "chunkbench/netem/process.hpp"
#include "chunkbench/netem/topology.hpp"
#include "run_output.hpp"

namespace chunkbench::netem {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
int millis(double s) { return static_cast<int>(s * 1000); }

void check_spec(const RunSpec& s) {
  if (s.client_command.empty() == !s.client_function)
    throw Error(Errc::usage, "netem run: give exactly one client, a command or a function");
  if (!s.server_command.empty() && s.server_function)
    throw Error(Errc::usage, "netem run: give at most one server, a command or a function");
  if (s.wait_port && s.server_command.empty() && !s.server_function)
    throw Error(Errc::usage, "netem run: a port to wait for needs a server");
  for (double v : {s.wait_timeout_s, s.server_grace_s, s.client_grace_s})
    if (!(v >= 0 && v <= 3600)) throw Error(Errc::usage, "netem run: timeouts and grace periods must be in [0, 3600] s");
}

// One run from the server's start to the teardown of both sides; owns the children and channels,
// so an exception anywhere kills the children (Child) and stops the reader thread (ServerOutput).
class Session {
 public:
  Session(const RunSpec& spec, const Topology& t, RunResult& r)
      : spec_(spec), topo_(t), r_(r), server_out_(spec.server_log, spec.server_output) {
    env_ = {std::string("SERVER_ADDR=") + Topology::kServerAddr, std::string("CLIENT_ADDR=") + Topology::kClientAddr,
            "CHUNKBENCH_NETEM_RUN=" + t.run_id()};
    env_.insert(env_.end(), spec.extra_env.begin(), spec.extra_env.end());
  }

  void run() {
    start_server();
    if (spec_.wait_port) {
      std::string why = wait_for_listen(topo_.server_path(), *spec_.wait_port, spec_.wait_timeout_s,
                                        [this] { return stop_reason("before listening"); });
      if (!r_.signal) r_.failure = why;
      if (!why.empty()) return;
    }
    start_client();
    wait_client();
  }

  // Client first (it may still hold connections), then the server with its grace period.
  void stop() {
    if (client_.running()) client_.terminate(millis(spec_.client_grace_s));
    collect_client();
    stop_server();
    server_out_.finish();
  }

 private:
  RunContext context(bool server) const {
    return {topo_.run_id(), server ? topo_.server_ns() : topo_.client_ns(), Topology::kServerAddr, Topology::kClientAddr};
  }

  void start_server() {
    SpawnOptions o;
    o.netns_path = topo_.server_path();
    o.extra_env = env_;
    o.stdout_fd = o.stderr_fd = server_out_.fd();
    if (!spec_.server_command.empty()) {
      server_ = Child::spawn(spec_.server_command, o);
    } else if (spec_.server_function) {
      RunContext ctx = context(true);
      const ServerFunction& fn = spec_.server_function;
      server_ = Child::fork_call([&fn, &ctx] { return fn(ctx); }, o, "the server function");
    }
    has_server_ = server_.pid() > 0;
    server_out_.release_write_end();
  }

  void start_client() {
    SpawnOptions o;
    o.netns_path = topo_.client_path();
    o.extra_env = env_;
    started_ = Clock::now();
    if (!spec_.client_command.empty()) {
      if (spec_.capture_client_stdout) o.stdout_fd = channel_.write_fd();
      client_ = Child::spawn(spec_.client_command, o);
    } else {
      RunContext ctx = context(false);
      const ClientFunction& fn = spec_.client_function;
      const int fd = channel_.write_fd();
      client_ = Child::fork_call(
          [&fn, &ctx, fd] {
            try {
              std::string result = fn(ctx);
              return send_framed(fd, 'R', result) ? 0 : 1;
            } catch (const std::exception& e) {
              send_framed(fd, 'E', e.what());
              return 1;
            }
          },
          o, "the client function");
    }
    channel_.release_write_end();
  }

  void wait_client() {
    for (;;) {
      channel_.drain();
      if (auto st = client_.poll()) {
        r_.client_status = *st;
        break;
      }
      std::string why = stop_reason("while the client ran");
      if (!why.empty()) {
        if (!r_.signal) r_.failure = why;
        break;
      }
      pollfd p{channel_.read_fd(), POLLIN, 0};
      ::poll(&p, 1, 20);
    }
    r_.client_seconds = seconds_since(started_);
  }

  void collect_client() {
    if (client_.pid() <= 0) return;
    if (auto st = client_.poll(); st && !r_.signal && r_.failure.empty()) r_.client_status = *st;
    channel_.drain();
    const std::string& d = channel_.data();
    if (!spec_.client_function) r_.client_result = d;
    else if (!d.empty() && d[0] == 'R') r_.client_result = d.substr(1);
    else if (!d.empty() && d[0] == 'E') r_.client_error = d.substr(1);
    else if (r_.client_status != 0) r_.client_error = "the client function ended with status " + std::to_string(r_.client_status) + " without a result";
  }

  // "" to keep going; else why the run stops now. A server exiting 0 is taken to have daemonised.
  std::string stop_reason(const std::string& when) {
    if (spec_.interrupted) {
      if (int sig = spec_.interrupted()) {
        r_.signal = sig;
        return "interrupted (" + std::to_string(sig) + ")";
      }
    }
    if (!has_server_) return "";
    auto st = server_.poll();
    if (st && *st != 0)
      return std::string(spec_.server_command.empty() ? "server function" : "server command") + " exited with status " +
             std::to_string(*st) + " " + when;
    return "";
  }

  // SIGTERM to everything in the server namespace, not just the server's process group: a server
  // that daemonised, or one under a wrapper shell that dies first, gets the grace period too.
  void stop_server() {
    const std::string ns = topo_.server_path();
    auto signal_all = [&](int sig) {
      if (server_.running()) server_.signal_group(sig);
      for (pid_t p : pids_in_netns(ns)) ::kill(p, sig);
    };
    signal_all(SIGTERM);
    const auto deadline = Clock::now() + std::chrono::milliseconds(millis(spec_.server_grace_s));
    bool empty = false;
    while (!(empty = pids_in_netns(ns).empty()) && Clock::now() < deadline) {
      server_.poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!empty) {
      r_.server_killed = true;
      signal_all(SIGKILL);
    }
    if (has_server_) r_.server_status = server_.terminate(0);
  }

  const RunSpec& spec_;
  const Topology& topo_;
  RunResult& r_;
  std::vector<std::string> env_;
  ServerOutput server_out_;
  ClientChannel channel_;
  Child server_, client_;
  bool has_server_ = false;
  Clock::time_point started_ = Clock::now();
};

std::string sysctl_of(const nlohmann::json& sysctls, const char* side) {
  if (!sysctls.contains(side)) return "";
  return sysctls[side].value("net.ipv4.tcp_congestion_control", std::string());
}

}  // namespace

std::string wait_for_listen(const std::string& netns_path, std::uint16_t port, double timeout_s,
                            const std::function<std::string()>& stop) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    if (tcp_listening(netns_path, port)) return "";
    if (stop) {
      std::string why = stop();
      if (!why.empty()) return why;
    }
    if (Clock::now() > deadline) {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%g", timeout_s);
      return "nothing listened on TCP port " + std::to_string(port) + " in " + netns_path + " within " + secs + " s";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

RunResult run(const RunSpec& spec) {
  check_spec(spec);
  require_net_admin();
  RunResult r;
  r.scenario = spec.scenario;
  Topology topo(spec.scenario);
  r.run_id = topo.run_id();
  BackendChoice choice = choose_backend(spec.scenario, topo, spec.backend);
  r.backend = choice.backend;
  r.backend_reason = choice.reason;
  r.sysctls = topo.sysctls();
  r.client_congestion_control = sysctl_of(r.sysctls, "client");
  r.server_congestion_control = sysctl_of(r.sysctls, "server");
  std::unique_ptr<Link> link = make_link(choice.backend, topo);
  r.link = link->describe();
  r.routes = {{"client", route_table(topo.client_ns())}, {"server", route_table(topo.server_ns())}};
  if (spec.on_link_ready) spec.on_link_ready(r);
  {
    Session session(spec, topo, r);
    session.run();
    session.stop();
  }
  r.counters = link->counters();
  link.reset();
  topo.teardown();
  return r;
}

nlohmann::json RunResult::to_json() const {
  nlohmann::json j = {{"schema", "chunkbench.netem-run/1"},
                      {"run_id", run_id},
                      {"scenario", scenario.to_json()},
                      {"link", link},
                      {"reason", backend_reason},
                      {"counters", counters},
                      {"sysctls", sysctls},
                      {"routes", routes},
                      {"congestion_control", {{"client", client_congestion_control}, {"server", server_congestion_control}}},
                      {"client_exit", client_status},
                      {"client_seconds", client_seconds},
                      {"server_exit", server_status ? nlohmann::json(*server_status) : nlohmann::json()},
                      {"server_killed", server_killed},
                      {"signal", signal},
                      {"failure", failure}};
  if (!client_result.empty()) j["client_result"] = client_result;
  if (!client_error.empty()) j["client_error"] = client_error;
  return j;
}

}  // namespace chunkbench::netem
