#pragma once
// A network scenario: what the link between the client and the server namespaces looks like, and
// the per-namespace TCP knobs. A validated value; every error names the JSON field (or flag) at fault.
//
// Directions are named from the client's side: `up` is client -> server, `down` is server -> client.
// `delay` is one-way, per direction, so a symmetric scenario with delay D has RTT = 2D — the same
// meaning `tc qdisc add dev lo root netem delay D` had in the seed (lo carries both directions).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace chunkbench::netem {

struct Direction {
  std::int64_t delay_ns = 0;
  std::int64_t jitter_ns = 0;        // each packet's delay is uniform in [delay - jitter, delay + jitter]
  std::uint64_t rate_bps = 0;        // bits per second of IP packets; 0 = unlimited
  double loss = 0;                   // probability in [0, 1) that a packet is dropped at random
  std::uint64_t queue_bytes = 0;     // drop-tail limit of the bottleneck queue; 0 with queue_packets 0 = auto
  std::uint64_t queue_packets = 0;

  bool operator==(const Direction&) const = default;
};

struct Sysctls {
  std::optional<std::string> congestion_control;  // net.ipv4.tcp_congestion_control
  std::optional<std::string> tcp_rmem;            // "min default max"
  std::optional<std::string> tcp_wmem;
  std::optional<int> tcp_slow_start_after_idle;   // 0 or 1

  bool operator==(const Sysctls&) const = default;
};

// Route attributes of the server namespace's route to the client: the server's initial congestion
// window (segments it may send before the first ACK) and the receive window it first advertises.
struct ServerRoute {
  std::optional<int> initcwnd;  // `ip route ... initcwnd N`; unset = the kernel's (10)
  std::optional<int> initrwnd;  // `ip route ... initrwnd N`

  bool operator==(const ServerRoute&) const = default;
};

struct Scenario {
  std::string name = "custom";
  Direction up;    // client -> server
  Direction down;  // server -> client
  int mtu = 1500;
  Sysctls sysctls;
  ServerRoute server;

  bool operator==(const Scenario&) const = default;

  // Round-trip propagation delay (no queueing, no serialisation).
  std::int64_t base_rtt_ns() const { return up.delay_ns + down.delay_ns; }
  // Bytes the drop-tail queue of `d` may hold. Explicit limits win; otherwise one bandwidth-delay
  // product (so loss-based TCP still fills the pipe after halving its window) but at least 100 MTUs.
  std::uint64_t queue_limit_bytes(const Direction& d) const;
  std::uint64_t queue_limit_packets(const Direction& d) const;  // 0 = no packet limit
  bool needs_delay_or_loss() const;

  nlohmann::json to_json() const;
  std::string describe() const;  // one line, e.g. "up 500ms 50mbit, down 500ms 50mbit, mtu 1500"
};

// Parses and validates; `source` prefixes every message ("scenario.json: up.delay: must not be negative").
Scenario scenario_from_json(const nlohmann::json& j, const std::string& source);

// A preset name or a path to a JSON file.
Scenario load_scenario(const std::string& name_or_path);
std::vector<std::string> preset_names();
std::string preset_summary(const std::string& name);
bool is_preset(const std::string& name);

// Command-line overrides as (key, value) pairs with JSON keys: "delay", "up.rate", "sysctl.tcp_wmem", "server.initcwnd",
// "queue" ("1000p", "6MB") ... They are merged into the base's JSON and the result re-validated, so a
// flag and a file field share one parser and one error message; a value a field cannot hold is
// Errc::usage (it came from the caller's flags).
Scenario apply_overrides(const Scenario& base, const std::vector<std::pair<std::string, std::string>>& overrides);

// Unit parsers, exposed for the CLI and tests. `field` names the value in error messages.
std::int64_t parse_duration_ns(const std::string& text, const std::string& field);  // "500ms", "1.5s", "250us"
std::uint64_t parse_rate_bps(const std::string& text, const std::string& field);    // "50mbit", "1gbit", "800kbit"
double parse_fraction(const std::string& text, const std::string& field);           // "0.1%" or "0.001"
std::uint64_t parse_bytes(const std::string& text, const std::string& field);       // "6MB", "64KiB", "1500"
std::string format_duration(std::int64_t ns);
std::string format_rate(std::uint64_t bps);

}  // namespace chunkbench::netem
