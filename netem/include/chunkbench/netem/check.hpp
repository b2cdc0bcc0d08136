#pragma once
// The fidelity check: measures, from real sockets in the two namespaces, what the link does —
// RTT by TCP connect and by a small request/response, bulk TCP throughput each way, and random
// loss with a paced UDP probe each way — and sets each figure beside the configured one.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chunkbench/netem/scenario.hpp"

namespace chunkbench::netem {

class Topology;
class Link;

struct CheckOptions {
  bool rtt = true;
  bool bulk = true;
  bool loss = true;
  int rtt_samples = 0;             // 0 = about 3 s worth, between 3 and 10
  double bulk_seconds = 0;         // 0 = long enough for slow start to reach the rate, plus two windows
  double window_seconds = 0;       // 0 = max(2 s, 3 RTT); throughput: best such window in the last two
  // Per socket (setsockopt TCP_CONGESTION) for the bulk transfers; empty = the namespace's default,
  // which is what a run's programs get (`netem check` uses that). CUBIC here by default for the
  // link's fidelity tests: BBRv1 at 1 s RTT behind a one-BDP drop-tail queue stays far below the
  // rate for tens of seconds (its startup overfills the queue), which would measure BBR, not the link.
  std::string congestion_control = "cubic";
  int streams = 1;                 // parallel TCP connections of each bulk transfer
  int loss_probes = 0;             // 0 = 10,000 when loss is configured, else 1,000
};

struct BulkResult {
  double configured_bps = 0;  // 0 = unlimited
  // IP bytes of data segments the receiver got (what the link's rate limits), over the best window
  // after slow start; `final_ip_bps` over the last window.
  double ip_bps = 0;
  double final_ip_bps = 0;
  double goodput_bps = 0;     // application bytes read over the same (best) window
  double window_s = 0, window_end_s = 0, total_s = 0;
  std::uint64_t bytes = 0;
  int mss = 0;
  int streams = 1;
  std::string congestion_control;
  nlohmann::json to_json() const;
};

struct LossResult {
  double configured = 0;
  std::uint64_t sent = 0, received = 0;
  double measured() const { return sent ? 1.0 - static_cast<double>(received) / static_cast<double>(sent) : 0; }
  nlohmann::json to_json() const;
};

struct CheckResult {
  std::string scenario;
  nlohmann::json scenario_json;
  double configured_rtt_ms = 0;
  std::vector<double> connect_rtt_ms, echo_rtt_ms;  // samples
  double connect_rtt_median_ms() const;
  double echo_rtt_median_ms() const;
  BulkResult up, down;
  LossResult loss_up, loss_down;
  nlohmann::json link, counters, sysctls;
  // What the bulk transfers' sockets used, and whether that is the namespaces' default (as in a
  // run) or was set per socket.
  std::string congestion_control;
  bool congestion_control_per_socket = false;
  nlohmann::json to_json() const;
  std::string to_text() const;
};

// Runs the checks over an already attached link.
CheckResult run_check(Topology& t, Link& l, const CheckOptions& o);

// (Waiting for a server's port: wait_for_listen() in run.hpp, which does not connect.)

// Tolerances the tests and `--strict` use: RTT within max(2 %, 2 ms), rate within 5 %.
bool rtt_within_tolerance(double configured_ms, double measured_ms);
bool rate_within_tolerance(double configured_bps, double measured_bps);

}  // namespace chunkbench::netem
