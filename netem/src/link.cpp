#include "chunkbench/netem/link.hpp"

#include "chunkbench/error.hpp"
#include "chunkbench/netem/process.hpp"
#include "chunkbench/netem/topology.hpp"
#include "link_backends.hpp"

namespace chunkbench::netem {

const char* backend_name(Backend b) {
  switch (b) {
    case Backend::kernel: return "kernel";
    case Backend::tun: return "tun";
    case Backend::wondershaper: return "wondershaper";
  }
  return "?";
}

Backend parse_backend(const std::string& name) {
  if (name == "kernel") return Backend::kernel;
  if (name == "tun") return Backend::tun;
  if (name == "wondershaper") return Backend::wondershaper;
  throw Error(Errc::usage, "--link: unknown backend '" + name + "' (kernel, tun, wondershaper)");
}

bool kernel_has_netem(const std::string& probe_ns) {
  auto r = run_command({"tc", "-n", probe_ns, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"});
  if (r.status != 0) return false;
  run_command({"tc", "-n", probe_ns, "qdisc", "del", "dev", "lo", "root"});
  return true;
}

BackendChoice choose_backend(const Scenario& s, const Topology& t, std::optional<Backend> forced) {
  const bool netem = kernel_has_netem(t.client_ns());
  // Built with += : GCC 12 reports a false -Wrestrict on chained literal + std::string here.
  std::string probe = "sch_netem ";
  probe += netem ? "present" : "absent";
  probe += " (probed with 'tc qdisc add dev lo root netem' inside ";
  probe += t.client_ns();
  probe += ")";
  if (forced == Backend::kernel) {
    if (!netem)
      throw Error(Errc::usage, "--link kernel: this kernel has no sch_netem (" + probe +
                                   "), so delay and loss cannot be done by qdiscs here; use --link tun");
    return {Backend::kernel, "forced by --link kernel; " + probe};
  }
  if (forced == Backend::wondershaper) {
    if (s.needs_delay_or_loss())
      throw Error(Errc::usage, "--link wondershaper shapes rate only, but scenario '" + s.name +
                                   "' has delay, jitter or loss; use --link tun (or kernel where sch_netem exists)");
    if (!s.up.rate_bps && !s.down.rate_bps)
      throw Error(Errc::usage, "--link wondershaper: scenario '" + s.name + "' sets no rate, so there is nothing to shape");
    return {Backend::wondershaper, "forced by --link wondershaper (htb + ifb, rate only, as the seed's wondershaper -a lo)"};
  }
  if (forced == Backend::tun) return {Backend::tun, "forced by --link tun"};
  if (netem) return {Backend::kernel, probe + ": using netem + rate on veth"};
  return {Backend::tun, probe + ": using the userspace TUN emulator for delay, loss and rate"};
}

std::unique_ptr<Link> make_link(Backend b, Topology& t) {
  std::unique_ptr<Link> link;
  switch (b) {
    case Backend::kernel: link = make_kernel_link(t); break;
    case Backend::tun: link = make_tun_link(t); break;
    case Backend::wondershaper: link = make_wondershaper_link(t); break;
  }
  if (!link) throw Error(Errc::usage, "unknown backend");
  apply_server_route(t);
  return link;
}

void add_veth(Topology& t) {
  const auto& c = t.client_ns();
  const auto& s = t.server_ns();
  const std::string mtu = std::to_string(t.scenario().mtu);
  // Created inside the client namespace with its peer placed straight into the server's: at no
  // moment does a device of the run exist in the host namespace.
  run_checked({"ip", "-n", c, "link", "add", "cbveth", "mtu", mtu, "type", "veth", "peer", "name", "cbveth", "mtu", mtu, "netns", s});
  const std::string plen = "/" + std::to_string(Topology::kPrefixLen);
  run_checked({"ip", "-n", c, "addr", "add", Topology::kClientAddr + plen, "dev", "cbveth"});
  run_checked({"ip", "-n", s, "addr", "add", Topology::kServerAddr + plen, "dev", "cbveth"});
  run_checked({"ip", "-n", c, "link", "set", "cbveth", "up"});
  run_checked({"ip", "-n", s, "link", "set", "cbveth", "up"});
}

}  // namespace chunkbench::netem
