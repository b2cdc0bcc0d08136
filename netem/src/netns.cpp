#include "chunkbench/netem/netns.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "chunkbench/error.hpp"

namespace chunkbench::netem {

std::string netns_path(const std::string& name) { return "/run/netns/" + name; }

ScopedNetns::ScopedNetns(const std::string& path) {
  int cur = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (cur < 0) throw_errno("open /proc/thread-self/ns/net");
  original_.reset(cur);
  int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) throw_errno("open network namespace " + path);
  Fd t(target);
  if (setns(t.get(), CLONE_NEWNET) != 0) throw_errno("setns into " + path);
}

ScopedNetns::~ScopedNetns() {
  // Failing to return would leave this thread configuring the wrong namespace; nothing sane remains.
  if (original_ && setns(original_.get(), CLONE_NEWNET) != 0) std::abort();
}

std::vector<pid_t> pids_in_netns(const std::string& path) {
  std::vector<pid_t> pids;
  struct stat target{};
  if (::stat(path.c_str(), &target) != 0) return pids;
  DIR* d = opendir("/proc");
  if (!d) return pids;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != 0 || pid <= 0) continue;
    struct stat st{};
    std::string ns = std::string("/proc/") + e->d_name + "/ns/net";
    if (::stat(ns.c_str(), &st) == 0 && st.st_ino == target.st_ino && st.st_dev == target.st_dev)
      pids.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return pids;
}

namespace {
// /proc/net/tcp rows: "sl local_address rem_address st ...", addresses as HEXIP:HEXPORT, LISTEN = 0A.
bool listening_in(const std::string& table, std::uint16_t port) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string sl, local, remote, state;
    if (!(row >> sl >> local >> remote >> state)) continue;
    auto colon = local.rfind(':');
    if (colon == std::string::npos || state != "0A") continue;
    if (std::strtoul(local.c_str() + colon + 1, nullptr, 16) == port) return true;
  }
  return false;
}
}  // namespace

bool tcp_listening(const std::string& path, std::uint16_t port) {
  // /proc/thread-self/net is the calling thread's namespace, /proc/self/net the main thread's.
  ScopedNetns in(path);
  return listening_in("/proc/thread-self/net/tcp", port) || listening_in("/proc/thread-self/net/tcp6", port);
}

bool have_net_admin() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    unsigned long long caps = std::stoull(line.substr(7), nullptr, 16);
    const unsigned long long net_admin = 1ull << 12, sys_admin = 1ull << 21;
    return (caps & net_admin) && (caps & sys_admin);
  }
  return false;
}

void require_net_admin() {
  if (have_net_admin()) return;
  throw Error(Errc::usage,
              "netem needs root, or CAP_NET_ADMIN and CAP_SYS_ADMIN: it creates network namespaces (a mount under "
              "/run/netns), TUN/veth devices and qdiscs inside them. Run it with sudo; it never changes the host's "
              "own interfaces or qdiscs");
}

namespace {
std::string sysctl_file(const std::string& key) {
  std::string p = "/proc/sys/" + key;
  for (std::size_t i = 10; i < p.size(); ++i)
    if (p[i] == '.') p[i] = '/';
  return p;
}
}  // namespace

std::string read_sysctl(const std::string& key) {
  std::ifstream in(sysctl_file(key));
  if (!in) throw Error(Errc::io, "sysctl " + key + ": cannot read " + sysctl_file(key));
  std::string v;
  std::getline(in, v);
  // The kernel separates tcp_rmem's fields with tabs; normalise to single spaces.
  std::istringstream words(v);
  std::string w, out;
  while (words >> w) out += (out.empty() ? "" : " ") + w;
  return out;
}

void write_sysctl(const std::string& key, const std::string& value) {
  std::string file = sysctl_file(key);
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("sysctl " + key + ": open " + file);
  Fd f(fd);
  std::string v = value + "\n";
  if (::write(f.get(), v.data(), v.size()) != static_cast<ssize_t>(v.size()))
    throw_errno("sysctl " + key + " = '" + value + "'");
}

}  // namespace chunkbench::netem
