#pragma once
// The link between the client and server namespaces of a Topology. Each backend brings up its own
// devices *inside* the two namespaces, gives them Topology::kClientAddr / kServerAddr, and removes
// nothing but what it made (the namespaces' deletion takes the rest).
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "chunkbench/netem/scenario.hpp"

namespace chunkbench::netem {

class Topology;

enum class Backend { kernel, tun, wondershaper };
const char* backend_name(Backend b);
Backend parse_backend(const std::string& name);  // "kernel", "tun", "wondershaper"

class Link {
 public:
  virtual ~Link() = default;
  virtual Backend backend() const = 0;
  // What the backend shapes and with which parameters (qdisc lines, queue sizes), for results.
  virtual nlohmann::json describe() const = 0;
  // Counters (packets, drops, queue delay); empty for backends that have none of their own.
  virtual nlohmann::json counters() const { return nlohmann::json::object(); }
};

struct BackendChoice {
  Backend backend;
  std::string reason;
};

// True when this kernel has sch_netem; probed by adding a netem qdisc on lo inside `probe_ns`
// (one of the run's namespaces), never on a host device.
bool kernel_has_netem(const std::string& probe_ns);

// The automatic choice (kernel where netem exists, else tun) or a forced one, checked against
// what the scenario needs and the kernel has; the reason says why, for the user and the result.
BackendChoice choose_backend(const Scenario& s, const Topology& t, std::optional<Backend> forced);

// Builds the backend's devices and then sets the scenario's server route attributes (initcwnd).
std::unique_ptr<Link> make_link(Backend b, Topology& t);

// `ip -o route show` of a namespace (by name), one route per line: what a result records.
std::string route_table(const std::string& ns);

}  // namespace chunkbench::netem
