#pragma once
// The seam between a TLS connection and the protocol spoken over it. A session consumes plaintext,
// appends plaintext to an OutBuffer, and asks its host for timers; it never touches the socket, so the
// h2 and h1 sessions stay thin adapters over the same FileService.
#include <cstdint>
#include <cstring>
#include <memory>

#include "chunkbench/server/server.hpp"
#include "faults.hpp"
#include "file_service.hpp"
#include "response.hpp"
#include "stats.hpp"

namespace chunkbench::server {

// Fixed-capacity byte buffer. One per event loop: output is produced into it and written to TLS at once;
// only what TLS could not take is copied into the connection.
class OutBuffer {
 public:
  explicit OutBuffer(std::size_t capacity) : data_(new std::uint8_t[capacity]), cap_(capacity) {}
  std::uint8_t* data() { return data_.get(); }
  std::size_t size() const { return size_; }
  std::size_t room() const { return cap_ - size_; }
  bool empty() const { return size_ == 0; }
  std::uint8_t* tail() { return data_.get() + size_; }
  void commit(std::size_t n) { size_ += n; }
  void append(const void* p, std::size_t n) {
    std::memcpy(tail(), p, n);
    size_ += n;
  }
  void clear() { size_ = 0; }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t cap_, size_ = 0;
};

// Everything one event loop's sessions share.
struct LoopContext {
  const Options& options;
  FileService& files;
  Stats& stats;
  FaultInjector faults;
};

class SessionHost {
 public:
  virtual ~SessionHost() = default;
  // Calls the session's on_timer(token) at `when` (unless the connection is gone by then).
  virtual void schedule(Clock::time_point when, std::uint64_t token) = 0;
  virtual Clock::time_point now() const = 0;
};

class Session {
 public:
  virtual ~Session() = default;
  virtual void start() = 0;
  // Plaintext from the peer. False: protocol error, close the connection.
  virtual bool on_input(const std::uint8_t* data, std::size_t n) = 0;
  // Appends whatever is ready to send. False: fatal error, close.
  virtual bool produce(OutBuffer& out) = 0;
  virtual void on_timer(std::uint64_t token) = 0;
  // False while the session has enough queued work (bounds HTTP/1.1 pipelining).
  virtual bool wants_read() const = 0;
  // True once nothing more will be sent: close after the output is flushed.
  virtual bool finished() const = 0;
  // True when the connection must be torn down with a TCP RST after the output is flushed (h1 reset fault).
  virtual bool wants_abort() const { return false; }
  // The server is stopping: tell the peer (h2 GOAWAY).
  virtual void shutdown() = 0;
};

std::unique_ptr<Session> make_h2_session(LoopContext& ctx, SessionHost& host);
std::unique_ptr<Session> make_h1_session(LoopContext& ctx, SessionHost& host);

}  // namespace chunkbench::server
