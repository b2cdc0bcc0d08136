#include "chunkbench/server/server.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <mutex>
#include <thread>

#include "chunkbench/error.hpp"
#include "event_loop.hpp"
#include "listener.hpp"

namespace chunkbench::server {

struct Server::Impl {
  explicit Impl(Options o) : opt(std::move(o)), stats(opt.tls_records) {}
  Options opt;
  Stats stats;
  std::unique_ptr<TlsContext> tls;
  std::unique_ptr<FileService> files;
  std::vector<std::unique_ptr<Loop>> loops;
  Endpoint ep;
  std::uint16_t port = 0;
  Fd signal_fd;
};

Server::Server(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {
  Impl& s = *impl_;
  if (s.opt.root.empty()) throw Error(Errc::usage, "--root is required");
  if (s.opt.threads < 1 || s.opt.threads > 256) throw Error(Errc::usage, "--threads must be in [1, 256]");
  for (double p : {s.opt.faults.fail_rate, s.opt.faults.reset_rate, s.opt.faults.stall_rate, s.opt.faults.corrupt_rate})
    if (!(p >= 0 && p <= 1)) throw Error(Errc::usage, "fault rates are probabilities in [0, 1]");
  const TlsRecordOptions& rec = s.opt.tls_records;
  // 512 is the smallest record OpenSSL's max_fragment_length knows; 16 KiB the largest TLS allows.
  if (rec.small_record < 512 || rec.small_record > 16384)
    throw Error(Errc::usage, "the small TLS record size must be in [512, 16384] bytes");
  s.ep = parse_endpoint(s.opt.listen);
  s.files = std::make_unique<FileService>(s.opt.root, s.stats);
  s.tls = make_tls_context(s.opt);
  // Port 0: the first socket picks a port, the others (SO_REUSEPORT) join it.
  Endpoint ep = s.ep;
  const bool reuseport = s.opt.threads > 1;
  for (unsigned i = 0; i < s.opt.threads; ++i) {
    Fd fd = listen_on(ep, s.opt, reuseport);
    if (i == 0) {
      s.port = bound_port(fd.get());
      ep = parse_endpoint((ep.addr.ss_family == AF_INET6 ? "[" + ep.host + "]" : ep.host) + ":" +
                          std::to_string(s.port));
    }
    s.loops.push_back(std::make_unique<Loop>(s.opt, *s.files, s.stats, *s.tls, i, std::move(fd)));
  }
}

Server::~Server() = default;

std::uint16_t Server::port() const { return impl_->port; }

std::string Server::url() const {
  const auto& ep = impl_->ep;
  std::string host = ep.addr.ss_family == AF_INET6 ? "[" + ep.host + "]" : ep.host;
  return "https://" + host + ":" + std::to_string(impl_->port) + "/";
}

const std::string& Server::ca_file() const { return impl_->tls->ca_file; }

std::string Server::stats_json() const { return impl_->stats.to_json(); }

void Server::stop() {
  for (auto& l : impl_->loops) l->stop();
}

void Server::catch_signals() {
  if (impl_->signal_fd) return;
  // Blocked before any loop thread starts, so every thread inherits the mask and only the signalfd
  // in loop 0 sees SIGINT/SIGTERM; the shutdown then runs in ordinary code, not a handler. A signal
  // that arrives before run() stays pending and is read from the signalfd then.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) throw Error(Errc::io, "pthread_sigmask failed");
  impl_->signal_fd.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!impl_->signal_fd) throw_errno("signalfd");
  impl_->loops[0]->watch_signals(impl_->signal_fd.get(), [this] { stop(); });
}

void Server::run(bool handle_signals) {
  if (handle_signals) catch_signals();
  std::vector<std::thread> threads;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  for (std::size_t i = 1; i < impl_->loops.size(); ++i)
    threads.emplace_back([&, i] {
      try {
        impl_->loops[i]->run();
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        failure = std::current_exception();
        stop();
      }
    });
  try {
    impl_->loops[0]->run();
  } catch (...) {
    std::lock_guard lock(failure_mutex);
    failure = std::current_exception();
    stop();
  }
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace chunkbench::server
