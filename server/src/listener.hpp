#pragma once
// Listening sockets: address parsing, bind/listen with the per-socket TCP options a benchmark varies.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "chunkbench/fd.hpp"
#include "chunkbench/server/server.hpp"

namespace chunkbench::server {

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string host;  // as given, without brackets
  std::uint16_t port = 0;
};
// "127.0.0.1:8443", "[::1]:0", "localhost:0" (= 127.0.0.1). Throws a usage Error.
Endpoint parse_endpoint(const std::string& text);

// A non-blocking listening socket. With `reuseport` several loops bind the same port and the kernel
// spreads connections among them. Options that accepted sockets inherit (SO_SNDBUF, TCP_CONGESTION,
// TCP_NOTSENT_LOWAT) are set here, so a refused value fails at startup naming the address.
Fd listen_on(const Endpoint& ep, const Options& options, bool reuseport);
std::uint16_t bound_port(int fd);

// Per accepted socket: TCP_NODELAY, because responses leave as whole coalesced TLS writes already and
// Nagle would only hold back their last segment.
void tune_accepted(int fd);

}  // namespace chunkbench::server
