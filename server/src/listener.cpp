#include "listener.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "chunkbench/error.hpp"

namespace chunkbench::server {

Endpoint parse_endpoint(const std::string& text) {
  Endpoint ep;
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 >= text.size())
    throw Error(Errc::usage, "--listen wants ADDR:PORT, got '" + text + "'");
  std::string host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";  // never ::1 first: IPv4-only shaping would miss it
  char* end = nullptr;
  long p = std::strtol(port.c_str(), &end, 10);
  if (*end != 0 || p < 0 || p > 65535) throw Error(Errc::usage, "bad port in --listen '" + text + "'");
  ep.host = host;
  ep.port = static_cast<std::uint16_t>(p);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ep.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(ep.port);
    ep.len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(ep.port);
    ep.len = sizeof(sockaddr_in6);
  } else {
    throw Error(Errc::usage, "--listen address '" + host + "' is not an IPv4/IPv6 literal");
  }
  return ep;
}

Fd listen_on(const Endpoint& ep, const Options& opt, bool reuseport) {
  const std::string where = ep.host + ":" + std::to_string(ep.port);
  Fd fd(::socket(ep.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket for " + where);
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
    throw_errno("SO_REUSEPORT on " + where);
  if (opt.sndbuf > 0 && ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &opt.sndbuf, sizeof opt.sndbuf) != 0)
    throw_errno("SO_SNDBUF " + std::to_string(opt.sndbuf) + " on " + where);
  if (!opt.congestion.empty() && ::setsockopt(fd.get(), IPPROTO_TCP, TCP_CONGESTION, opt.congestion.data(),
                                              static_cast<socklen_t>(opt.congestion.size())) != 0)
    throw_errno("TCP_CONGESTION " + opt.congestion + " on " + where +
                " (see /proc/sys/net/ipv4/tcp_allowed_congestion_control)");
  if (opt.notsent_lowat > 0 &&
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &opt.notsent_lowat, sizeof opt.notsent_lowat) != 0)
    throw_errno("TCP_NOTSENT_LOWAT on " + where);
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) != 0) throw_errno("bind " + where);
  // Large backlog: an HTTP/1.1 benchmark opens hundreds of connections at once.
  if (::listen(fd.get(), 4096) != 0) throw_errno("listen " + where);
  return fd;
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) throw_errno("getsockname");
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

void tune_accepted(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace chunkbench::server
