#include "chunkbench/netem/topology.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/netem/netns.hpp"
#include "chunkbench/netem/process.hpp"

namespace chunkbench::netem {
namespace {

std::atomic<int> g_sequence{0};

// Field 22 of /proc/PID/stat: with the pid it identifies a process across pid reuse.
std::string process_start_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all;
  if (!std::getline(in, all)) return "";
  auto close = all.rfind(')');
  if (close == std::string::npos) return "";
  std::string rest = all.substr(close + 2);
  std::size_t pos = 0;
  for (int field = 3; field < 22; ++field) {
    pos = rest.find(' ', pos);
    if (pos == std::string::npos) return "";
    ++pos;
  }
  return rest.substr(pos, rest.find(' ', pos) - pos);
}

bool runner_alive(pid_t pid, const std::string& start_time) {
  if (pid <= 0) return false;
  std::string now = process_start_time(pid);
  return !now.empty() && now == start_time;
}

void kill_and_delete_netns(const std::string& name, CleanupReport* report) {
  std::string path = netns_path(name);
  // Processes first: `ip netns del` only unmounts, and a namespace with processes lives on.
  for (int round = 0; round < 50; ++round) {
    auto pids = pids_in_netns(path);
    if (pids.empty()) break;
    for (pid_t p : pids) {
      if (p == getpid()) continue;
      if (::kill(p, SIGKILL) == 0 && report && round == 0) report->killed.push_back(p);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (::access(path.c_str(), F_OK) == 0) {
    auto r = run_command({"ip", "netns", "del", name});
    if (r.status != 0 && ::access(path.c_str(), F_OK) == 0)
      throw Error(Errc::io, "ip netns del " + name + " failed: " + r.output);
    if (report) report->namespaces.push_back(name);
  }
}

// "cbn-123-4-c" -> 123; -1 if the name is not ours.
pid_t owner_pid(const std::string& ns) {
  if (ns.rfind(kNamePrefix, 0) != 0) return -1;
  std::string rest = ns.substr(std::string(kNamePrefix).size());
  char* end = nullptr;
  long pid = std::strtol(rest.c_str(), &end, 10);
  if (end == rest.c_str() || *end != '-') return -1;
  return static_cast<pid_t>(pid);
}

bool has_word(const std::string& list, const std::string& word) {
  std::istringstream in(list);
  std::string w;
  while (in >> w)
    if (w == word) return true;
  return false;
}

// The kernel builds the algorithm in or has it as module tcp_NAME; a setsockopt by a CAP_NET_ADMIN
// process loads such a module too, where there is no modprobe.
void load_congestion_control(const std::string& name) {
  const char* key = "net.ipv4.tcp_available_congestion_control";
  if (has_word(read_sysctl(key), name)) return;
  std::string tried;
  try {
    auto r = run_command({"modprobe", "tcp_" + name});
    tried = "modprobe tcp_" + name + " exited " + std::to_string(r.status);
  } catch (const Error& e) {
    tried = e.what();
  }
  if (!has_word(read_sysctl(key), name)) {
    Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s) setsockopt(s.get(), IPPROTO_TCP, TCP_CONGESTION, name.data(), static_cast<socklen_t>(name.size()));
  }
  if (!has_word(read_sysctl(key), name))
    throw Error(Errc::invalid_input, "sysctl.congestion_control: this kernel has no TCP congestion control '" + name +
                                         "' (" + key + ": " + read_sysctl(key) + "; " + tried + ")");
}

}  // namespace

std::string allow_congestion_control(const std::string& name) {
  load_congestion_control(name);
  const char* key = "net.ipv4.tcp_allowed_congestion_control";
  // Two runs may add different names at once: write, read back, and write again if the other's
  // write replaced ours.
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::string allowed = read_sysctl(key);
    if (has_word(allowed, name)) return attempt == 0 ? "" : name;
    write_sysctl(key, allowed + " " + name);
  }
  throw Error(Errc::io, std::string(key) + ": '" + name + "' does not stay in the list (" + read_sysctl(key) + ")");
}

std::vector<std::string> list_chunkbench_namespaces() {
  std::vector<std::string> out;
  DIR* d = opendir("/run/netns");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (owner_pid(n) > 0) out.push_back(n);
  }
  closedir(d);
  return out;
}

CleanupReport cleanup_stale(bool all) {
  CleanupReport report;
  std::set<std::string> live_namespaces;
  if (DIR* d = opendir(kStateDir)) {
    std::vector<std::string> files;
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 5 && n.compare(n.size() - 5, 5, ".json") == 0) files.push_back(n);
    }
    closedir(d);
    for (const auto& f : files) {
      std::string path = std::string(kStateDir) + "/" + f;
      nlohmann::json j;
      try {
        std::ifstream in(path);
        j = nlohmann::json::parse(in);
      } catch (const std::exception&) {
        j = nlohmann::json::object();  // a torn write: its namespaces are found by name below
      }
      pid_t pid = j.value("pid", -1);
      bool alive = runner_alive(pid, j.value("start_time", std::string()));
      if (alive && !all) {
        for (const auto& ns : j.value("namespaces", std::vector<std::string>{})) live_namespaces.insert(ns);
        continue;
      }
      for (const auto& ns : j.value("namespaces", std::vector<std::string>{})) kill_and_delete_netns(ns, &report);
      ::unlink(path.c_str());
      report.state_files.push_back(path);
    }
  }
  // Namespaces without a state file (the runner died between the two) whose owner pid is gone.
  for (const auto& ns : list_chunkbench_namespaces()) {
    if (live_namespaces.count(ns)) continue;
    pid_t pid = owner_pid(ns);
    bool owner_is_us = pid == getpid();
    if (!all && (owner_is_us || ::kill(pid, 0) == 0)) continue;
    kill_and_delete_netns(ns, &report);
  }
  return report;
}

void remove_run(const std::string& run_id) {
  for (const char* side : {"-s", "-c"}) kill_and_delete_netns(run_id + side, nullptr);
  ::unlink((std::string(kStateDir) + "/" + run_id + ".json").c_str());
}

Topology::Topology(const Scenario& s) : scenario_(s) {
  require_net_admin();
  cleanup_stale(false);
  int seq = g_sequence.fetch_add(1);
  run_id_ = std::string(kNamePrefix) + std::to_string(getpid()) + "-" + std::to_string(seq);
  client_ = run_id_ + "-c";
  server_ = run_id_ + "-s";
  // The watchdog first, then the record of the run, then the namespaces: no namespace can exist
  // that neither a watchdog nor a state file knows.
  ::mkdir(kStateDir, 0755);
  state_file_ = std::string(kStateDir) + "/" + run_id_ + ".json";
  start_watchdog();
  nlohmann::json state = {{"pid", getpid()},
                          {"start_time", process_start_time(getpid())},
                          {"watchdog_pid", watchdog_.pid()},
                          {"namespaces", {client_, server_}},
                          {"scenario", s.to_json()}};
  std::string text = state.dump(2) + "\n";
  write_file_atomic(state_file_, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  try {
    for (const auto& ns : {client_, server_}) {
      run_checked({"ip", "netns", "add", ns});
      run_checked({"ip", "-n", ns, "link", "set", "lo", "up"});
      ScopedNetns in(netns_path(ns));
      write_sysctl("net.ipv6.conf.all.disable_ipv6", "1");
      write_sysctl("net.ipv6.conf.default.disable_ipv6", "1");
    }
    if (s.sysctls.congestion_control) {
      std::string added = allow_congestion_control(*s.sysctls.congestion_control);
      sysctls_["host"] = {{"net.ipv4.tcp_allowed_congestion_control", read_sysctl("net.ipv4.tcp_allowed_congestion_control")},
                          {"added", added.empty() ? nlohmann::json() : nlohmann::json(added)}};
    }
    apply_sysctls(client_);
    apply_sysctls(server_);
  } catch (...) {
    teardown();
    throw;
  }
}

Topology::~Topology() {
  try {
    teardown();
  } catch (...) {
    // A destructor cannot report; the next run's cleanup_stale() removes what is left.
  }
}

std::string Topology::client_path() const { return netns_path(client_); }
std::string Topology::server_path() const { return netns_path(server_); }

void Topology::apply_sysctls(const std::string& ns) {
  ScopedNetns in(netns_path(ns));
  const Sysctls& k = scenario_.sysctls;
  if (k.congestion_control) write_sysctl("net.ipv4.tcp_congestion_control", *k.congestion_control);
  if (k.tcp_rmem) write_sysctl("net.ipv4.tcp_rmem", *k.tcp_rmem);
  if (k.tcp_wmem) write_sysctl("net.ipv4.tcp_wmem", *k.tcp_wmem);
  if (k.tcp_slow_start_after_idle) write_sysctl("net.ipv4.tcp_slow_start_after_idle", std::to_string(*k.tcp_slow_start_after_idle));
  nlohmann::json got;
  for (const char* key : {"net.ipv4.tcp_congestion_control", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
                          "net.ipv4.tcp_slow_start_after_idle", "net.core.rmem_max", "net.core.wmem_max"})
    got[key] = read_sysctl(key);
  if (k.congestion_control && got["net.ipv4.tcp_congestion_control"] != *k.congestion_control)
    throw Error(Errc::io, "sysctl.congestion_control: wrote '" + *k.congestion_control + "' in " + ns + " but it reads back '" +
                              got["net.ipv4.tcp_congestion_control"].get<std::string>() + "'");
  if (k.tcp_wmem && got["net.ipv4.tcp_wmem"] != *k.tcp_wmem)
    throw Error(Errc::io, "sysctl.tcp_wmem: wrote '" + *k.tcp_wmem + "' in " + ns + " but it reads back '" +
                              got["net.ipv4.tcp_wmem"].get<std::string>() + "'");
  sysctls_[ns == client_ ? "client" : "server"] = got;
}

void Topology::teardown() {
  if (torn_down_) return;
  torn_down_ = true;
  std::string first_error;
  for (const auto& ns : {server_, client_}) {
    if (ns.empty()) continue;
    try {
      kill_and_delete_netns(ns, nullptr);
    } catch (const Error& e) {
      if (first_error.empty()) first_error = e.what();
    }
  }
  if (!state_file_.empty() && first_error.empty()) ::unlink(state_file_.c_str());
  stop_watchdog(first_error.empty());
  if (!first_error.empty()) throw Error(Errc::io, "teardown of " + run_id_ + ": " + first_error);
}

void Topology::start_watchdog() {
  // A socket pair rather than a pipe: send(MSG_NOSIGNAL) to a dead watchdog cannot raise SIGPIPE.
  int p[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) != 0) throw_errno("socketpair for the netem watchdog");
  Fd read_end(p[0]);
  watchdog_pipe_.reset(p[1]);
  // Plain sh + ip, exec'd right after fork: nothing of this (threaded) process runs in the child.
  static const char* kScript =
      "read line <&3; exec 3<&-; [ \"$line\" = done ] && exit 0; "
      "for ns in \"$1-s\" \"$1-c\"; do "
      "  for i in 1 2 3 4 5; do pids=$(ip netns pids \"$ns\" 2>/dev/null); [ -z \"$pids\" ] && break; kill -9 $pids; sleep 0.05; done; "
      "  ip netns del \"$ns\" 2>/dev/null; "
      "done; rm -f \"$2\"";
  SpawnOptions o;
  o.die_with_parent = false;
  o.fd3 = read_end.get();
  watchdog_ = Child::spawn({"sh", "-c", kScript, "chunkbench-netem-watchdog", run_id_, state_file_}, o);
}

void Topology::stop_watchdog(bool clean) {
  if (!watchdog_pipe_) return;
  if (clean) {
    static const char done[] = "done\n";
    if (::send(watchdog_pipe_.get(), done, sizeof done - 1, MSG_NOSIGNAL) < 0) {
      // The watchdog is gone already; nothing is left for it to do.
    }
  }
  watchdog_pipe_.reset();  // EOF: after "done" it exits, without it removes the run
  watchdog_.wait();
}

}  // namespace chunkbench::netem
