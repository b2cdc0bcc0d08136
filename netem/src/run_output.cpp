#include "run_output.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "chunkbench/error.hpp"

namespace chunkbench::netem {
namespace {

std::pair<Fd, Fd> nonblocking_pipe(const char* what) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) throw_errno(std::string("pipe for ") + what);
  Fd r(p[0]), w(p[1]);
  fcntl(r.get(), F_SETFL, fcntl(r.get(), F_GETFL) | O_NONBLOCK);
  return {std::move(r), std::move(w)};
}

// Appends what can be read now; false at end of file.
bool read_available(int fd, std::string& out) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0;  // EAGAIN: open, nothing yet; 0: EOF
  }
}

}  // namespace

ServerOutput::ServerOutput(const std::string& log_file, std::function<void(const std::string&)> on_line)
    : on_line_(std::move(on_line)) {
  if (!log_file.empty()) {
    file_ = open_file(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC);
  } else if (on_line_) {
    auto [r, w] = nonblocking_pipe("the server's output");
    read_ = std::move(r);
    write_ = std::move(w);
    reader_ = std::thread([this] { pump(); });
  }
}

ServerOutput::~ServerOutput() { finish(); }

int ServerOutput::fd() const {
  if (file_) return file_.get();
  if (write_) return write_.get();
  return STDERR_FILENO;
}

void ServerOutput::release_write_end() { write_.reset(); }

void ServerOutput::finish() {
  if (!reader_.joinable()) return;
  stop_ = true;
  reader_.join();
  if (!partial_.empty()) on_line_(partial_);
  partial_.clear();
}

void ServerOutput::deliver(const char* p, std::size_t n) {
  partial_.append(p, n);
  std::size_t start = 0;
  for (std::size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1)
    on_line_(partial_.substr(start, nl - start));
  partial_.erase(0, start);
}

void ServerOutput::pump() {
  // Polls with a timeout instead of waiting for end of file: a process that escaped the teardown
  // could hold the write end for ever.
  for (;;) {
    pollfd p{read_.get(), POLLIN, 0};
    const bool stopping = stop_.load();
    int r = ::poll(&p, 1, stopping ? 0 : 100);
    if (r < 0 && errno == EINTR) continue;
    std::string got;
    bool open = read_available(read_.get(), got);
    if (!got.empty()) deliver(got.data(), got.size());
    if (!open || (stopping && got.empty())) return;
  }
}

ClientChannel::ClientChannel() {
  auto [r, w] = nonblocking_pipe("the client's result");
  read_ = std::move(r);
  write_ = std::move(w);
}

void ClientChannel::drain() { read_available(read_.get(), data_); }

bool send_framed(int fd, char kind, const std::string& payload) {
  std::string msg = kind + payload;
  const char* p = msg.data();
  std::size_t left = msg.size();
  while (left) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace chunkbench::netem
