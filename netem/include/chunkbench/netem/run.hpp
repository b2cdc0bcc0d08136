#pragma once
// One scenario run as one library call: the scenario's namespaces and link, a server (a command or a
// function) in the server namespace, a client (a command or a function) in the client namespace,
// and a teardown that gives the server time to finish. `chunkbench netem run` and the benchmark
// matrix's cells are both this call.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chunkbench/netem/link.hpp"
#include "chunkbench/netem/scenario.hpp"

namespace chunkbench::netem {

// Where a server or client function runs and whom it talks to. Both sides also find these in their
// environment: SERVER_ADDR, CLIENT_ADDR and CHUNKBENCH_NETEM_RUN.
struct RunContext {
  std::string run_id;
  std::string netns;        // name of the namespace this side runs in
  std::string server_addr;  // Topology::kServerAddr
  std::string client_addr;  // Topology::kClientAddr
};

// Runs in a forked child inside the server namespace. Its return value is the server's exit status;
// the teardown's SIGTERM ends it unless it handles SIGTERM (chunkbench::server::Server::run(true)
// does), and then it has RunSpec::server_grace_s to finish, e.g. to write its statistics.
using ServerFunction = std::function<int(const RunContext&)>;
// Runs in a forked child inside the client namespace; what it returns becomes
// RunResult::client_result (text, typically JSON) and the client's status is 0. A throw gives
// status 1 and the message in RunResult::client_error.
// Both functions run in a copy of the caller made by fork(): only the calling thread exists there,
// so they must not need a lock another thread held at that moment (open their own stores, sockets
// and libraries' handles rather than sharing the caller's).
using ClientFunction = std::function<std::string(const RunContext&)>;

struct RunResult {
  std::string run_id;
  Scenario scenario;
  Backend backend = Backend::tun;
  std::string backend_reason;            // why this backend (choose_backend())
  nlohmann::json link;                   // Link::describe()
  nlohmann::json counters;               // Link::counters() at the end: packets, drops, queue delay
  nlohmann::json sysctls;                // Topology::sysctls(): in effect in each namespace; host changes
  nlohmann::json routes;                 // {"client", "server"}: `ip -o route show` (initcwnd, initrwnd)
  std::string client_congestion_control, server_congestion_control;  // each namespace's default

  int client_status = 0;                 // exit code or 128 + signal; a function: 0 returned, 1 threw
  std::string client_result;             // a function's return value, or a captured command's stdout
  std::string client_error;              // what a client function threw
  double client_seconds = 0;             // from the client's start to its end
  std::optional<int> server_status;      // how the server process ended; unset without a server
  bool server_killed = false;            // still running after the grace period, so SIGKILLed
  int signal = 0;                        // the run was stopped by RunSpec::interrupted with this value
  std::string failure;                   // why the run ended early (the server died, nothing listened)

  bool ok() const { return failure.empty() && signal == 0 && client_status == 0; }
  // The record a benchmark result carries; "schema": "chunkbench.netem-run/1".
  nlohmann::json to_json() const;
};

struct RunSpec {
  Scenario scenario;
  std::optional<Backend> backend;  // forced link backend; unset = choose_backend()'s choice

  // The server: a command (argv, no shell; {"sh", "-c", LINE} for a shell line), a function, or none.
  std::vector<std::string> server_command;
  ServerFunction server_function;
  // The server's stdout and stderr never reach our stdout: they are appended to `server_log` when
  // set, else passed line by line to `server_output` (called from a helper thread) when set, else
  // written to our stderr.
  std::string server_log;
  std::function<void(const std::string& line)> server_output;
  // Start the client only once a TCP socket listens on this port in the server namespace (seen in
  // the namespace's socket table: no probe connection reaches the server's statistics).
  std::optional<std::uint16_t> wait_port;
  double wait_timeout_s = 30;
  // Teardown: SIGTERM to every process in the server namespace, up to this long for all of them to
  // exit (a wrapper shell may die at once while the real server still writes its statistics), then
  // SIGKILL.
  double server_grace_s = 5;

  // The client: exactly one of a command (argv, no shell) and a function.
  std::vector<std::string> client_command;
  ClientFunction client_function;
  bool capture_client_stdout = false;  // a command client's stdout becomes client_result, not ours
  double client_grace_s = 2;           // a client still running at teardown: SIGTERM, this long, SIGKILL

  std::vector<std::string> extra_env;  // "NAME=value" for both sides
  // Polled while the run waits; a non-zero value (a signal number, say) stops the run, which is torn
  // down and returns it in RunResult::signal. This is how a CLI turns Ctrl-C into a clean teardown.
  std::function<int()> interrupted;
  // Called once the link is up, before the server starts: run_id, backend, reason, sysctls, routes.
  std::function<void(const RunResult&)> on_link_ready;
};

// Builds the namespaces and link, runs server and client, tears everything down (also when it
// throws) and returns what happened. Throws chunkbench::Error for a spec it cannot run (no client,
// two clients, an unknown command, no privileges) and for failures to build the scenario; what the
// server or client did is in the result (RunResult::failure, client_status), not thrown.
RunResult run(const RunSpec& spec);

// Waits until a TCP socket listens on `port` in the namespace at `netns_path` (netns_path()).
// Returns "" once one does; otherwise why not: the message `stop` returned (it is polled every
// 50 ms; "" = keep waiting) or, after `timeout_s`, a message naming the port and the namespace.
std::string wait_for_listen(const std::string& netns_path, std::uint16_t port, double timeout_s,
                            const std::function<std::string()>& stop = {});

}  // namespace chunkbench::netem
