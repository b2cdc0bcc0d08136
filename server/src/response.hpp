#pragma once
// What FileService answers, in a protocol-neutral form both sessions serialise: status, headers, and a
// Body that hands out bytes as fast as the faults and pacing allow.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "chunkbench/fd.hpp"
#include "faults.hpp"

namespace chunkbench::server {

using Clock = std::chrono::steady_clock;

class Body {
 public:
  Body() = default;
  static Body file(Fd fd, std::string path, std::uint64_t offset, std::uint64_t length);
  static Body text(std::string bytes);
  void set_faults(const BodyFaults& faults, std::uint64_t slow_bps, Clock::time_point start);

  std::uint64_t length() const { return length_; }
  std::uint64_t sent() const { return sent_; }
  bool done() const { return sent_ == length_; }

  struct Step {
    enum Kind { send, wait, stall, reset, done } kind;
    std::size_t n = 0;             // send: bytes that may go now (> 0)
    Clock::time_point until = {};  // wait: when more may go
  };
  // How much of the body may be sent now, at most `max` bytes.
  Step next(std::size_t max, Clock::time_point now) const;
  // Copies the next `n` bytes (n <= what next() allowed) to dst; throws Error on a short read.
  void read(std::uint8_t* dst, std::size_t n);

 private:
  Fd fd_;
  std::string path_;
  std::string text_;
  std::uint64_t offset_ = 0, length_ = 0, sent_ = 0;
  BodyFaults faults_;
  std::uint64_t slow_bps_ = 0;
  Clock::time_point start_;
};

struct Header {
  std::string name;  // lower case: h2 requires it and HTTP/1.1 does not care
  std::string value;
};

struct Response {
  int status = 500;
  std::vector<Header> headers;      // everything except content-length
  std::uint64_t content_length = 0; // for HEAD the length a GET would carry
  Body body;                        // what is actually sent (empty for HEAD)
  bool counted = true;              // false for the stats endpoint, which must not count itself
  bool keep_alive = true;           // HTTP/1.1 only: false after a request the server could not parse
};

const char* reason_phrase(int status);

}  // namespace chunkbench::server
