#include "event_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "chunkbench/error.hpp"
#include "connection.hpp"
#include "listener.hpp"

namespace chunkbench::server {
namespace {
constexpr std::uint64_t kListenTag = 1, kWakeTag = 2, kSignalTag = 3;
}

Loop::Loop(const Options& options, FileService& files, Stats& stats, const TlsContext& tls, unsigned index,
           Fd listen_fd)
    : ctx_{options, files, stats, FaultInjector(options.faults, index)}, tls_(tls), listen_(std::move(listen_fd)) {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_) throw_errno("epoll_create1");
  wake_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_) throw_errno("eventfd");
  add_fd(listen_.get(), kListenTag, EPOLLIN);  // level-triggered: a backlog left over is seen again
  add_fd(wake_.get(), kWakeTag, EPOLLIN);
}

Loop::~Loop() = default;

void Loop::add_fd(int fd, std::uint64_t tag, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = tag;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) throw_errno("epoll_ctl add");
}

void Loop::watch_signals(int signal_fd, std::function<void()> on_signal) {
  signal_fd_ = signal_fd;
  on_signal_ = std::move(on_signal);
  add_fd(signal_fd, kSignalTag, EPOLLIN);
}

void Loop::stop() noexcept {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof one);
}

void Loop::schedule(std::uint64_t conn_id, Clock::time_point when, std::uint64_t token) {
  timers_.push({when, timer_seq_++, conn_id, token});
}

void Loop::accept_all() {
  for (;;) {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: the level-triggered listener would fire again at once and spin. Park it
        // for 100 ms; the backlog keeps the waiting clients meanwhile.
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listen_.get(), nullptr);
        schedule(kListenTag, Clock::now() + std::chrono::milliseconds(100), 0);
      }
      return;  // EAGAIN: drained
    }
    Fd sock(fd);
    ctx_.stats.connection_accepted();
    tune_accepted(fd);
    const std::uint64_t id = next_id_++;
    try {
      auto conn = std::make_unique<Connection>(*this, id, std::move(sock));
      add_fd(fd, id, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
      conns_.emplace(id, std::move(conn));
    } catch (const Error&) {
      // Out of memory for SSL or epoll: drop this connection, keep serving the others.
    }
  }
}

void Loop::reap(std::uint64_t id) {
  auto it = conns_.find(id);
  if (it != conns_.end() && it->second->closed()) conns_.erase(it);
}

void Loop::fire_timers() {
  const auto now = Clock::now();
  while (!timers_.empty() && timers_.top().when <= now) {
    const Timer t = timers_.top();
    timers_.pop();
    if (t.conn_id == kListenTag) {
      if (listen_) add_fd(listen_.get(), kListenTag, EPOLLIN);
      continue;
    }
    auto it = conns_.find(t.conn_id);
    if (it == conns_.end()) continue;
    it->second->on_timer(t.token);
    reap(t.conn_id);
  }
}

void Loop::run() {
  epoll_event events[256];
  while (!stopping_) {
    int timeout = -1;
    if (!timers_.empty()) {
      auto wait = timers_.top().when - Clock::now();
      // Round up: waking a little early would just spin until the deadline.
      auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
      timeout = ms < 0 ? 0 : static_cast<int>(std::min<long long>(ms, 60'000));
    }
    int n = ::epoll_wait(epoll_.get(), events, 256, timeout);
    if (n < 0 && errno != EINTR) throw_errno("epoll_wait");
    for (int i = 0; i < n; ++i) {
      const std::uint64_t tag = events[i].data.u64;
      if (tag == kListenTag) {
        accept_all();
      } else if (tag == kWakeTag) {
        std::uint64_t v;
        [[maybe_unused]] auto r = ::read(wake_.get(), &v, sizeof v);
        stopping_ = true;
      } else if (tag == kSignalTag) {
        signalfd_siginfo si;
        [[maybe_unused]] auto r = ::read(signal_fd_, &si, sizeof si);
        if (on_signal_) on_signal_();
      } else {
        auto it = conns_.find(tag);
        if (it == conns_.end()) continue;
        it->second->on_events(events[i].events);
        reap(tag);
      }
    }
    fire_timers();
  }
  // Stop accepting first, then let every session say goodbye (h2 GOAWAY) before its socket closes.
  listen_.reset();
  for (auto& [id, conn] : conns_) conn->shutdown();
  conns_.clear();
}

}  // namespace chunkbench::server
