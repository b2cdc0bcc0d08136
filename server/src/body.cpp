#include <algorithm>
#include <cstring>

#include "chunkbench/error.hpp"
#include "response.hpp"

namespace chunkbench::server {

Body Body::file(Fd fd, std::string path, std::uint64_t offset, std::uint64_t length) {
  Body b;
  b.fd_ = std::move(fd);
  b.path_ = std::move(path);
  b.offset_ = offset;
  b.length_ = length;
  return b;
}

Body Body::text(std::string bytes) {
  Body b;
  b.length_ = bytes.size();
  b.text_ = std::move(bytes);
  return b;
}

void Body::set_faults(const BodyFaults& faults, std::uint64_t slow_bps, Clock::time_point start) {
  faults_ = faults;
  slow_bps_ = slow_bps;
  start_ = start;
}

Body::Step Body::next(std::size_t max, Clock::time_point now) const {
  if (sent_ == length_) return {Step::done};
  if (faults_.reset_at && sent_ >= *faults_.reset_at) return {Step::reset};
  if (faults_.stall_at && sent_ >= *faults_.stall_at) return {Step::stall};
  std::uint64_t n = std::min<std::uint64_t>(max, length_ - sent_);
  for (const auto& at : {faults_.reset_at, faults_.stall_at})
    if (at) n = std::min(n, *at - sent_);
  if (slow_bps_ > 0) {
    // Token bucket: a 20 ms quantum up front, then `slow_bps` bytes per second since the headers went out.
    const std::uint64_t quantum = std::max<std::uint64_t>(1, slow_bps_ / 50);
    const auto elapsed_ns = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_).count());
    const auto allowed = quantum + static_cast<std::uint64_t>(static_cast<long double>(elapsed_ns) *
                                                              static_cast<long double>(slow_bps_) / 1e9L);
    if (allowed <= sent_) {
      const std::uint64_t need = std::min(quantum, length_ - sent_);
      const auto at_ns = static_cast<long double>(sent_ + need - quantum) * 1e9L / static_cast<long double>(slow_bps_);
      return {Step::wait, 0, start_ + std::chrono::nanoseconds(static_cast<std::int64_t>(at_ns) + 1)};
    }
    n = std::min(n, allowed - sent_);
  }
  return {Step::send, static_cast<std::size_t>(n)};
}

void Body::read(std::uint8_t* dst, std::size_t n) {
  if (fd_) {
    const std::uint64_t at = offset_ + sent_;
    if (pread_full(fd_.get(), {dst, n}, at, path_) != n)
      throw Error(Errc::io, "read " + path_ + ": file shrank below " + std::to_string(at + n) +
                                " bytes while being served");
  } else {
    std::memcpy(dst, text_.data() + sent_, n);
  }
  if (faults_.corrupt_at && *faults_.corrupt_at >= sent_ && *faults_.corrupt_at < sent_ + n)
    dst[*faults_.corrupt_at - sent_] ^= 0x01;
  sent_ += n;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 416: return "Range Not Satisfiable";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Unknown";
}

}  // namespace chunkbench::server
