// Backend `tun`: one TUN device in each namespace, the Emulator thread in the runner between them.
// The runner stays in the host namespace; each device is created by opening /dev/net/tun while this
// thread is inside the target namespace, and the fd keeps working after the thread leaves it.
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include <cstring>

#include "chunkbench/error.hpp"
#include "chunkbench/netem/emulator.hpp"
#include "chunkbench/netem/link.hpp"
#include "chunkbench/netem/netns.hpp"
#include "chunkbench/netem/process.hpp"
#include "chunkbench/netem/topology.hpp"
#include "link_backends.hpp"

namespace chunkbench::netem {
namespace {

constexpr const char* kTunName = "cbtun";

Fd open_tun_in(const std::string& ns) {
  ScopedNetns in(netns_path(ns));
  int fd = ::open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) throw_errno("open /dev/net/tun (for the link device in " + ns + ")");
  Fd f(fd);
  ifreq ifr{};
  // No IFF_VNET_HDR: the kernel hands us MTU-sized packets (it segments GSO and completes
  // checksums first), so loss, queue and rate act on real packets as on a wire.
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, kTunName, IFNAMSIZ - 1);
  if (ioctl(f.get(), TUNSETIFF, &ifr) != 0) throw_errno(std::string("TUNSETIFF ") + kTunName + " in " + ns);
  return f;
}

void configure(const std::string& ns, const char* addr, int mtu) {
  run_checked({"ip", "-n", ns, "addr", "add", std::string(addr) + "/" + std::to_string(Topology::kPrefixLen), "dev", kTunName});
  // A longer device queue than TUN's 500 packets: bursts of a fast sender wait here for the
  // emulator thread instead of being dropped before the emulated bottleneck sees them.
  run_checked({"ip", "-n", ns, "link", "set", kTunName, "mtu", std::to_string(mtu), "txqueuelen", "10000", "up"});
}

class TunLink final : public Link {
 public:
  explicit TunLink(Topology& t) : scenario_(t.scenario()) {
    client_ = open_tun_in(t.client_ns());
    server_ = open_tun_in(t.server_ns());
    configure(t.client_ns(), Topology::kClientAddr, scenario_.mtu);
    configure(t.server_ns(), Topology::kServerAddr, scenario_.mtu);
    emulator_ = std::make_unique<Emulator>(scenario_, client_.get(), server_.get());
    emulator_->start();
  }
  ~TunLink() override {
    if (emulator_) emulator_->stop();
  }

  Backend backend() const override { return Backend::tun; }
  nlohmann::json describe() const override {
    return {{"backend", "tun"},
            {"devices", {{"client", kTunName}, {"server", kTunName}}},
            {"model", "userspace FIFO per direction: loss, drop-tail queue, serialisation at rate, delay±jitter, no reordering"},
            {"queue_limit_bytes", {{"up", scenario_.queue_limit_bytes(scenario_.up)}, {"down", scenario_.queue_limit_bytes(scenario_.down)}}},
            {"mtu", scenario_.mtu}};
  }
  nlohmann::json counters() const override { return emulator_->counters_json(); }

 private:
  Scenario scenario_;
  Fd client_, server_;
  std::unique_ptr<Emulator> emulator_;
};

}  // namespace

std::unique_ptr<Link> make_tun_link(Topology& t) { return std::make_unique<TunLink>(t); }

}  // namespace chunkbench::netem
