#pragma once
// Per connection: how much plaintext one SSL_write may take so that the records it makes have the
// size TlsRecordOptions asks for at this point of the connection (see server.hpp for the why).
#include <cstddef>
#include <cstdint>
#include <limits>

#include "chunkbench/server/server.hpp"
#include "response.hpp"

namespace chunkbench::server {

class RecordSizer {
 public:
  static constexpr std::size_t kMaxRecord = 16384;  // TLS's largest plaintext per record

  explicit RecordSizer(const TlsRecordOptions& options) : opt_(options) {}

  // Starts a batch of writes at `now`. True when this write follows an idle period long enough to go
  // back to small records (counted in the stats as an idle restart).
  bool begin(Clock::time_point now) {
    const bool restart = opt_.dynamic && written_ > 0 &&
                         now - last_write_ >= std::chrono::milliseconds(opt_.idle_reset_ms);
    if (restart) written_ = 0;
    last_write_ = now;
    return restart;
  }
  bool small() const { return opt_.dynamic && written_ < opt_.boost_after; }
  // The most plaintext the next SSL_write may take: one small record, or anything (OpenSSL cuts it
  // into 16 KiB records).
  std::size_t limit() const { return small() ? opt_.small_record : std::numeric_limits<std::size_t>::max(); }
  void wrote(std::size_t n) { written_ += n; }

 private:
  TlsRecordOptions opt_;
  std::uint64_t written_ = 0;  // plaintext since the connection started or last went idle
  Clock::time_point last_write_{};
};

}  // namespace chunkbench::server
