#pragma once
// One thread's event loop: epoll (edge-triggered for connections), a timer heap whose earliest deadline
// bounds epoll_wait, an eventfd to be stopped from other threads, and optionally the signalfd.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

#include "chunkbench/fd.hpp"
#include "session.hpp"
#include "tls.hpp"

namespace chunkbench::server {

class Connection;

class Loop {
 public:
  Loop(const Options& options, FileService& files, Stats& stats, const TlsContext& tls, unsigned index, Fd listen_fd);
  ~Loop();
  // Serves until stop() (or, with a signal fd, until SIGINT/SIGTERM, which calls `on_signal`).
  void run();
  void stop() noexcept;  // thread-safe and async-signal-safe
  void watch_signals(int signal_fd, std::function<void()> on_signal);

  // For connections.
  void schedule(std::uint64_t conn_id, Clock::time_point when, std::uint64_t token);
  OutBuffer& scratch() { return scratch_; }
  std::vector<std::uint8_t>& cipher() { return cipher_; }
  std::uint8_t* read_buffer() { return read_buf_.get(); }
  static constexpr std::size_t kReadBuffer = 64 * 1024;
  LoopContext& context() { return ctx_; }
  const TlsContext& tls() const { return tls_; }

 private:
  struct Timer {
    Clock::time_point when;
    std::uint64_t seq, conn_id, token;
    bool operator>(const Timer& o) const { return when != o.when ? when > o.when : seq > o.seq; }
  };
  void accept_all();
  void fire_timers();
  void add_fd(int fd, std::uint64_t tag, std::uint32_t events);
  void reap(std::uint64_t id);

  LoopContext ctx_;
  const TlsContext& tls_;
  Fd epoll_, listen_, wake_;
  int signal_fd_ = -1;
  std::function<void()> on_signal_;
  bool stopping_ = false;
  std::unordered_map<std::uint64_t, std::unique_ptr<Connection>> conns_;
  std::uint64_t next_id_ = 16;  // below: listener, eventfd, signalfd tags
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::uint64_t timer_seq_ = 0;
  // Output is produced here and handed to SSL_write whole; 256 KiB holds 16 full TLS records.
  OutBuffer scratch_{256 * 1024};
  // The TLS records made from scratch_, sent with one send(); reserved so that collecting never reallocates.
  std::vector<std::uint8_t> cipher_ = [] {
    std::vector<std::uint8_t> v;
    v.reserve(320 * 1024);
    return v;
  }();
  std::unique_ptr<std::uint8_t[]> read_buf_{new std::uint8_t[kReadBuffer]};
};

}  // namespace chunkbench::server
