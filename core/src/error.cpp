#include "chunkbench/error.hpp"

#include <cerrno>
#include <cstring>

namespace chunkbench {

const char* errc_name(Errc c) noexcept {
  switch (c) {
    case Errc::usage: return "usage";
    case Errc::invalid_input: return "invalid-input";
    case Errc::io: return "io";
    case Errc::not_found: return "not-found";
    case Errc::corrupt: return "corrupt";
    case Errc::network: return "network";
    case Errc::interrupted: return "interrupted";
  }
  return "unknown";
}

void throw_errno(const std::string& what, int err) {
  Errc code = (err == ENOENT) ? Errc::not_found : Errc::io;
  throw Error(code, what + ": " + std::strerror(err));
}

void throw_errno(const std::string& what) { throw_errno(what, errno); }

}  // namespace chunkbench
