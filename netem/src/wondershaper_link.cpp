// Backend `wondershaper`: the magnific0 wondershaper recipe the seed ran as `wondershaper -a lo -d
// 50000 -u 50000`, adapted to a kernel without sfq, cbq, police or modules, and applied to a veth
// inside the client namespace instead of the host's lo:
//   - upload (client -> server): root htb default 20 on the client's veth, classes 1:1 (rate) and
//     1:10/1:20/1:30 with magnific0's shares and ceilings, and its u32 filters; the sfq leaves are
//     left out (sch_sfq absent). Bulk TCP lands in 1:20, capped by its ceil at 95 % of the rate.
//   - download (server -> client): ingress on the client's veth redirected (mirred) to an ifb0
//     created in the client namespace, with htb class 2:1 at the rate.
// On lo the seed shaped both directions in one egress htb; here each direction has its own, which
// is what "--rate R each way" means. No delay, no loss: that is all wondershaper does.
#include "chunkbench/netem/link.hpp"
#include "chunkbench/netem/process.hpp"
#include "chunkbench/netem/topology.hpp"
#include "link_backends.hpp"

namespace chunkbench::netem {
namespace {

std::string kbit(std::uint64_t bps, int percent) { return std::to_string(bps / 1000 * percent / 100) + "kbit"; }

class WondershaperLink final : public Link {
 public:
  explicit WondershaperLink(Topology& t) {
    add_veth(t);
    const Scenario& s = t.scenario();
    const std::string& ns = t.client_ns();
    auto tc = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {"tc", "-n", ns});
      run_checked(args);
      commands_.push_back(join_command(args));
    };
    if (std::uint64_t up = s.up.rate_bps) {
      const std::string dev = "cbveth";
      tc({"qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "20"});
      tc({"class", "add", "dev", dev, "parent", "1:", "classid", "1:1", "htb", "rate", kbit(up, 100), "prio", "5"});
      tc({"class", "add", "dev", dev, "parent", "1:1", "classid", "1:10", "htb", "rate", kbit(up, 20), "ceil", kbit(up, 95), "prio", "1"});
      tc({"class", "add", "dev", dev, "parent", "1:1", "classid", "1:20", "htb", "rate", kbit(up, 40), "ceil", kbit(up, 95), "prio", "2"});
      tc({"class", "add", "dev", dev, "parent", "1:1", "classid", "1:30", "htb", "rate", kbit(up, 20), "ceil", kbit(up, 90), "prio", "3"});
      tc({"filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", "10", "u32", "match", "ip", "tos", "0x10", "0xff", "flowid", "1:10"});
      tc({"filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", "11", "u32", "match", "ip", "protocol", "1", "0xff", "flowid", "1:10"});
      tc({"filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", "12", "u32", "match", "ip", "protocol", "6", "0xff",
          "match", "u8", "0x05", "0x0f", "at", "0", "match", "u16", "0x0000", "0xffc0", "at", "2", "flowid", "1:10"});
      tc({"filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", "18", "u32", "match", "ip", "dst", "0.0.0.0/0", "flowid", "1:20"});
    }
    if (std::uint64_t down = s.down.rate_bps) {
      // A fresh namespace has no ifb devices (the host's ifb0/ifb1 stay untouched).
      run_checked({"ip", "-n", ns, "link", "add", "ifb0", "type", "ifb"});
      run_checked({"ip", "-n", ns, "link", "set", "ifb0", "up"});
      commands_.push_back("ip -n " + ns + " link add ifb0 type ifb; ip -n " + ns + " link set ifb0 up");
      tc({"qdisc", "add", "dev", "cbveth", "handle", "ffff:", "ingress"});
      tc({"filter", "add", "dev", "cbveth", "parent", "ffff:", "protocol", "ip", "u32", "match", "u32", "0", "0",
          "action", "mirred", "egress", "redirect", "dev", "ifb0"});
      tc({"qdisc", "add", "dev", "ifb0", "root", "handle", "2:", "htb"});
      tc({"class", "add", "dev", "ifb0", "parent", "2:", "classid", "2:1", "htb", "rate", kbit(down, 100)});
      tc({"filter", "add", "dev", "ifb0", "parent", "2:", "protocol", "ip", "u32", "match", "ip", "src", "0.0.0.0/0", "flowid", "2:1"});
    }
  }
  Backend backend() const override { return Backend::wondershaper; }
  nlohmann::json describe() const override {
    return {{"backend", "wondershaper"},
            {"model", "htb+ifb rate limit (magnific0 wondershaper without sfq); bulk TCP upload capped at 95% of the rate by class 1:20's ceil"},
            {"commands", commands_}};
  }

 private:
  std::vector<std::string> commands_;
};

}  // namespace

std::unique_ptr<Link> make_wondershaper_link(Topology& t) { return std::make_unique<WondershaperLink>(t); }

}  // namespace chunkbench::netem
