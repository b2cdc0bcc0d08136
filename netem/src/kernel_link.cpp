// Backend `kernel`: veth between the namespaces, netem on each side's egress. Only where the kernel
// has sch_netem (choose_backend() probes it); the test kernel of this project does not, so this
// backend is not exercised by the test suite there.
#include <algorithm>
#include <cmath>

#include "chunkbench/netem/link.hpp"
#include "chunkbench/netem/process.hpp"
#include "chunkbench/netem/topology.hpp"
#include "link_backends.hpp"

namespace chunkbench::netem {
namespace {

std::vector<std::string> netem_args(const Scenario& s, const Direction& d) {
  std::vector<std::string> a = {"netem", "delay", format_duration(d.delay_ns)};
  if (d.jitter_ns) a.push_back(format_duration(d.jitter_ns));
  if (d.loss > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f%%", d.loss * 100);
    a.insert(a.end(), {"loss", buf});
  }
  if (d.rate_bps) a.insert(a.end(), {"rate", std::to_string(d.rate_bps) + "bit"});
  // netem's `limit` counts every packet it holds, the delayed ones included; its default of 1000
  // silently drops at 50 Mbit/s x 500 ms (~2,100 packets in flight). Size it to the delay line
  // plus the scenario's queue.
  double rate = d.rate_bps ? static_cast<double>(d.rate_bps) : 10e9;
  double in_flight = rate / 8 * static_cast<double>(d.delay_ns + d.jitter_ns) / 1e9 / s.mtu;
  double queue = d.queue_packets ? static_cast<double>(d.queue_packets) : static_cast<double>(s.queue_limit_bytes(d)) / s.mtu;
  auto limit = static_cast<long long>(std::ceil(in_flight + queue)) + 100;
  a.insert(a.end(), {"limit", std::to_string(std::min<long long>(limit, 10'000'000))});
  return a;
}

class KernelLink final : public Link {
 public:
  explicit KernelLink(Topology& t) {
    add_veth(t);
    const Scenario& s = t.scenario();
    for (auto [ns, dir, key] : {std::tuple{t.client_ns(), &s.up, "up"}, std::tuple{t.server_ns(), &s.down, "down"}}) {
      std::vector<std::string> cmd = {"tc", "-n", ns, "qdisc", "add", "dev", "cbveth", "root", "handle", "1:"};
      auto args = netem_args(s, *dir);
      cmd.insert(cmd.end(), args.begin(), args.end());
      run_checked(cmd);
      qdiscs_[key] = join_command(cmd);
    }
  }
  Backend backend() const override { return Backend::kernel; }
  nlohmann::json describe() const override {
    return {{"backend", "kernel"}, {"devices", "veth cbveth in both namespaces"}, {"qdiscs", qdiscs_}};
  }

 private:
  nlohmann::json qdiscs_;
};

}  // namespace

std::unique_ptr<Link> make_kernel_link(Topology& t) { return std::make_unique<KernelLink>(t); }

}  // namespace chunkbench::netem
