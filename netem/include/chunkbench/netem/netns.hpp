#pragma once
// Network namespace primitives. Sockets, TUN devices and /proc/sys/net files belong to the
// namespace of the *thread* that creates/opens them, and keep it after the thread leaves, so the
// runner can hold handles of both namespaces while itself staying in the host's.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "chunkbench/fd.hpp"

namespace chunkbench::netem {

// /run/netns/NAME, where `ip netns add` bind-mounts a namespace so it outlives its processes.
std::string netns_path(const std::string& name);

// Moves the calling thread into a namespace for the guard's lifetime.
class ScopedNetns {
 public:
  explicit ScopedNetns(const std::string& path);
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;
  ~ScopedNetns();

 private:
  Fd original_;
};

// Processes whose network namespace is the one at `path` (what `ip netns pids` reports).
std::vector<pid_t> pids_in_netns(const std::string& path);

// True when a TCP socket in the namespace at `path` listens on `port` (any address), read from the
// namespace's /proc/net/tcp{,6}: unlike a test connection it is never seen, logged or counted by the server.
bool tcp_listening(const std::string& path, std::uint16_t port);

// Throws a clear Error unless the process may create namespaces and configure their links.
void require_net_admin();
bool have_net_admin();

// /proc/sys/net/... of the calling thread's namespace. `key` in dotted form: "net.ipv4.tcp_wmem".
std::string read_sysctl(const std::string& key);
void write_sysctl(const std::string& key, const std::string& value);

}  // namespace chunkbench::netem
