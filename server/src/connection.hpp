#pragma once
// One accepted socket: non-blocking TLS handshake, ALPN dispatch to an h2 or h1 session, then the
// read -> session -> coalesced write cycle.
#include <cstdint>
#include <memory>
#include <vector>

#include "chunkbench/fd.hpp"
#include "record_sizer.hpp"
#include "session.hpp"
#include "tls.hpp"

namespace chunkbench::server {

class Loop;

class Connection final : public SessionHost {
 public:
  Connection(Loop& loop, std::uint64_t id, Fd fd);
  ~Connection() override;
  void on_events(std::uint32_t events);
  void on_timer(std::uint64_t token);
  void shutdown();  // the server stops: say goodbye (h2 GOAWAY), flush what fits, close
  bool closed() const { return closed_; }

  void schedule(Clock::time_point when, std::uint64_t token) override;
  Clock::time_point now() const override { return Clock::now(); }

  // Where the TLS write BIO puts ciphertext (see tls_sink.cpp).
  std::vector<std::uint8_t>* sink() { return sink_; }

 private:
  bool handshake();
  void progress();
  void read_input();
  bool flush();
  bool encrypt(OutBuffer& out);
  bool send_pending();
  bool send_bytes(const std::uint8_t* data, std::size_t n, std::size_t& sent);
  void close(bool reset);

  Loop& loop_;
  std::uint64_t id_;
  Fd fd_;
  SslPtr ssl_;
  RecordSizer records_;
  std::unique_ptr<Session> session_;
  // Ciphertext the socket did not take yet. Usually empty: records are collected in the loop's shared
  // buffer and sent in one send(); only a remainder after EAGAIN is copied here.
  std::vector<std::uint8_t> pending_;
  std::vector<std::uint8_t>* sink_ = &pending_;
  bool closed_ = false, tls_broken_ = false, opened_ = false, read_paused_ = false;
};

}  // namespace chunkbench::server
