#pragma once
// Two network namespaces per run, client and server, with names unique to the run. If the runner
// dies without tearing down — SIGKILL included — a watchdog process removes them at once; if that
// is gone too, a state file lets a later run (or `chunkbench netem cleanup`) remove them. The link
// between them is attached by a Link backend.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chunkbench/fd.hpp"
#include "chunkbench/netem/process.hpp"
#include "chunkbench/netem/scenario.hpp"

namespace chunkbench::netem {

// Where runs record themselves; one "<run id>.json" per live run.
inline constexpr const char* kStateDir = "/run/chunkbench-netem";
// Every namespace chunkbench creates is "cbn-<runner pid>-<sequence>-{c,s}".
inline constexpr const char* kNamePrefix = "cbn-";

class Topology {
 public:
  static constexpr const char* kClientAddr = "10.77.0.1";
  static constexpr const char* kServerAddr = "10.77.0.2";
  static constexpr int kPrefixLen = 24;

  // Cleans leftovers of dead runs, creates both namespaces (lo up, IPv6 off so no router
  // solicitations cross the link) and applies the scenario's sysctls in both.
  explicit Topology(const Scenario& s);
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;
  ~Topology();

  const std::string& run_id() const { return run_id_; }
  const std::string& client_ns() const { return client_; }
  const std::string& server_ns() const { return server_; }
  std::string client_path() const;
  std::string server_path() const;
  const Scenario& scenario() const { return scenario_; }
  // The TCP knobs actually in effect in each namespace ("client", "server"), read back after
  // applying; with a congestion control, "host" holds the host's allowed list and what this run added.
  const nlohmann::json& sysctls() const { return sysctls_; }

  // Kills every process left in the namespaces, deletes them and the state file. Idempotent.
  void teardown();

 private:
  void apply_sysctls(const std::string& ns);

  void start_watchdog();
  void stop_watchdog(bool clean);

  Scenario scenario_;
  std::string run_id_, client_, server_, state_file_;
  // A shell outside the namespaces that holds the read end of a pipe whose write end only this
  // process has: EOF without "done" means the runner died (even by SIGKILL), and it removes the run.
  Child watchdog_;
  Fd watchdog_pipe_;
  nlohmann::json sysctls_ = nlohmann::json::object();
  bool torn_down_ = false;
};

// Makes a TCP congestion control usable as a namespace's default: loads it (modprobe, or the kernel's
// autoload) and adds it to the host's net.ipv4.tcp_allowed_congestion_control, since the kernel lets
// namespaces other than the host's default only to an allowed algorithm. The one host setting netem
// changes; it only adds a name (the host's default stays) and is left in place, as concurrent runs may
// rely on it. Returns the name when this call added it, else "".
std::string allow_congestion_control(const std::string& name);

struct CleanupReport {
  std::vector<std::string> namespaces;  // deleted
  std::vector<int> killed;              // pids killed inside them
  std::vector<std::string> state_files; // removed
};

// Removes namespaces and state files of runs whose runner process is gone. With `all`, also those
// of live runs (for an operator who knows nothing is running).
CleanupReport cleanup_stale(bool all = false);
// Removes one run's namespaces (killing what runs in them) and its state file; for a runner that
// must exit at once on a signal.
void remove_run(const std::string& run_id);
// Namespaces named like chunkbench's that currently exist.
std::vector<std::string> list_chunkbench_namespaces();

}  // namespace chunkbench::netem
