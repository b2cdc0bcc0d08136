#include "connection.hpp"

#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "chunkbench/error.hpp"
#include "event_loop.hpp"
#include "tls_sink.hpp"

namespace chunkbench::server {

Connection::Connection(Loop& loop, std::uint64_t id, Fd fd)
    : loop_(loop), id_(id), fd_(std::move(fd)), records_(loop.context().options.tls_records) {
  ssl_.reset(SSL_new(loop_.tls().ctx.get()));
  if (!ssl_) throw Error(Errc::io, "SSL_new: " + ssl_error_text());
  attach_tls_bios(ssl_.get(), fd_.get(), this);
  SSL_set_accept_state(ssl_.get());
}

Connection::~Connection() {
  if (opened_) loop_.context().stats.connection_closed();
}

void Connection::schedule(Clock::time_point when, std::uint64_t token) { loop_.schedule(id_, when, token); }

void Connection::on_events(std::uint32_t) {
  if (closed_) return;
  if (!session_ && !handshake()) return;
  progress();
}

void Connection::on_timer(std::uint64_t token) {
  if (closed_ || !session_) return;
  session_->on_timer(token);
  progress();
}

bool Connection::handshake() {
  ERR_clear_error();
  int rv = SSL_do_handshake(ssl_.get());
  if (!send_pending()) return false;  // the handshake flight went into pending_
  if (rv != 1) {
    int err = SSL_get_error(ssl_.get(), rv);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return false;  // edge-triggered: wait
    loop_.context().stats.handshake_failed();
    tls_broken_ = true;
    ERR_clear_error();
    close(false);
    return false;
  }
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &alpn, &alpn_len);
  Protocol proto;
  if (alpn_len == 2 && std::memcmp(alpn, "h2", 2) == 0) {
    proto = Protocol::h2;
    session_ = make_h2_session(loop_.context(), *this);
  } else if (loop_.tls().h1_enabled) {
    proto = Protocol::h1;  // "http/1.1" or a client without ALPN
    session_ = make_h1_session(loop_.context(), *this);
  } else {
    loop_.context().stats.handshake_failed();  // h2-only server, client cannot speak h2
    close(false);
    return false;
  }
  loop_.context().stats.connection_opened(proto);
  opened_ = true;
  session_->start();
  return true;
}

// Edge-triggered: read until TLS wants more bytes, write until TLS wants the socket, and repeat while
// the session's state allows more of either, so no readiness edge is ever left unconsumed.
void Connection::progress() {
  for (;;) {
    read_input();
    if (closed_) return;
    if (!flush()) return;
    if (pending_.empty()) {
      if (session_->wants_abort()) return close(true);
      if (session_->finished()) return close(false);
    }
    if (read_paused_ && session_->wants_read()) continue;
    return;
  }
}

void Connection::read_input() {
  read_paused_ = false;
  std::uint8_t* buf = loop_.read_buffer();
  while (session_->wants_read()) {
    ERR_clear_error();
    int n = SSL_read(ssl_.get(), buf, static_cast<int>(Loop::kReadBuffer));
    if (n > 0) {
      if (!session_->on_input(buf, static_cast<std::size_t>(n))) return close(false);
      continue;
    }
    int err = SSL_get_error(ssl_.get(), n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
    // The peer closed (close_notify or plain EOF) or the TLS stream broke: nobody is left to answer.
    if (err != SSL_ERROR_ZERO_RETURN) tls_broken_ = true;
    ERR_clear_error();
    return close(false);
  }
  read_paused_ = true;
}

bool Connection::send_bytes(const std::uint8_t* data, std::size_t n, std::size_t& sent) {
  while (sent < n) {
    ssize_t rv = ::send(fd_.get(), data + sent, n - sent, MSG_NOSIGNAL);
    if (rv > 0) {
      sent += static_cast<std::size_t>(rv);
      continue;
    }
    if (rv < 0 && errno == EINTR) continue;
    if (rv < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;  // EPOLLOUT edge will follow
    tls_broken_ = true;  // the peer is gone; nothing more can be said to it
    close(false);
    return false;
  }
  return true;
}

bool Connection::send_pending() {
  if (pending_.empty()) return true;
  std::size_t sent = 0;
  if (!send_bytes(pending_.data(), pending_.size(), sent)) return false;
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(sent));
  if (pending_.empty() && pending_.capacity() > (1u << 20)) std::vector<std::uint8_t>().swap(pending_);
  return true;
}

// Encrypts `out` into the sink as records of the size the RecordSizer asks for now: while small, one
// SSL_write per record; after that one SSL_write for everything, which OpenSSL cuts into 16 KiB records.
bool Connection::encrypt(OutBuffer& out) {
  if (records_.begin(Clock::now())) loop_.context().stats.tls_idle_restart();
  const std::uint8_t* p = out.data();
  std::size_t left = out.size();
  while (left > 0) {
    const bool small = records_.small();
    const std::size_t n = std::min(left, records_.limit());
    ERR_clear_error();
    if (SSL_write(ssl_.get(), p, static_cast<int>(n)) <= 0) return false;
    records_.wrote(n);
    const std::uint64_t count = small ? 1 : (n + RecordSizer::kMaxRecord - 1) / RecordSizer::kMaxRecord;
    loop_.context().stats.tls_records(small, count, n);
    p += n;
    left -= n;
  }
  return true;
}

bool Connection::flush() {
  if (!send_pending()) return false;
  if (!pending_.empty()) return true;  // the socket is full: produce nothing more until it drains
  for (;;) {
    OutBuffer& out = loop_.scratch();
    out.clear();
    if (!session_->produce(out)) {
      close(false);
      return false;
    }
    if (out.empty()) return true;
    std::vector<std::uint8_t>& cipher = loop_.cipher();
    cipher.clear();
    sink_ = &cipher;
    const bool ok = encrypt(out);
    sink_ = &pending_;
    if (!ok) {  // the sink never blocks, so this is a real TLS failure
      tls_broken_ = true;
      ERR_clear_error();
      close(false);
      return false;
    }
    std::size_t sent = 0;
    if (!send_bytes(cipher.data(), cipher.size(), sent)) return false;
    if (sent < cipher.size()) {
      pending_.assign(cipher.begin() + static_cast<std::ptrdiff_t>(sent), cipher.end());
      return true;
    }
  }
}

void Connection::shutdown() {
  if (closed_) return;
  if (session_) {
    session_->shutdown();
    flush();
  }
  close(false);
}

void Connection::close(bool reset) {
  if (closed_) return;
  closed_ = true;
  if (reset) {
    // SO_LINGER 0: close() sends RST, which is what "connection reset mid-body" means to a client.
    linger lg{1, 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  } else if (session_ && !tls_broken_) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());  // best effort close_notify; never wait for the peer's
    ERR_clear_error();
    std::size_t sent = 0;
    send_bytes(pending_.data(), pending_.size(), sent);
  }
  ssl_.reset();
  fd_.reset();
}

}  // namespace chunkbench::server
