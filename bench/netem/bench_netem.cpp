// Benchmark of the TUN link emulator itself: for each one-way delay, the highest rate it sustains
// within 5 % of the target, and the CPU its thread spends per Gbit/s.
//
// Load: MTU-sized UDP datagrams from the client namespace to the server namespace, paced at 105 %
// of the target so the emulated bottleneck is always backlogged (the excess is dropped by its
// drop-tail queue, as on a real link). UDP rather than TCP so that what is measured is the
// emulator, not slow start at 1 s RTT. "Sustained" = the emulator's output and the receiver's
// intake over the steady window are both within 5 % of the target.
// CPU = the emulator thread's CPU time over the window; it includes the receive-side kernel work
// a TUN write performs synchronously in the writing thread.
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/netem/link.hpp"
#include "chunkbench/netem/netns.hpp"
#include "chunkbench/netem/process.hpp"
#include "chunkbench/netem/scenario.hpp"
#include "chunkbench/netem/topology.hpp"

namespace cn = chunkbench::netem;
using chunkbench::Fd;

namespace {

double thread_cpu(std::thread& t) {
  clockid_t cid;
  timespec ts{};
  if (pthread_getcpuclockid(t.native_handle(), &cid) != 0 || clock_gettime(cid, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::uint64_t tun_tx_dropped(const std::string& ns) {
  auto r = cn::run_command({"ip", "-n", ns, "-j", "-s", "link", "show", "cbtun"});
  try {
    return nlohmann::json::parse(r.output).at(0).at("stats64").at("tx").at("dropped").get<std::uint64_t>();
  } catch (const std::exception&) {
    return 0;
  }
}

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

Fd udp_in(const std::string& ns) {
  cn::ScopedNetns in(cn::netns_path(ns));
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) chunkbench::throw_errno("socket");
  return Fd(fd);
}

struct Point {
  double delay_ms, target_bps;
  double offered_bps = 0;   // what reached the emulator (its input), after the client's TUN queue
  double emulator_bps = 0, received_bps = 0;
  double sender_cpu = 0, receiver_cpu = 0;  // fractions of a core, load generator threads
  std::uint64_t tun_tx_dropped = 0;         // packets the client's TUN queue dropped before the emulator read them
  double cpu_fraction = 0;  // of one core, over the window
  std::uint64_t dropped_overflow = 0, dropped_write = 0;
  double release_late_max_us = 0;
  // The generator could not offer the target: the run says nothing about the emulator's limit.
  bool generator_limited() const { return offered_bps < 0.97 * target_bps; }
  bool sustained() const {
    return std::abs(emulator_bps - target_bps) <= 0.05 * target_bps && std::abs(received_bps - target_bps) <= 0.05 * target_bps;
  }
  double cpu_per_gbit() const { return emulator_bps > 0 ? cpu_fraction / (emulator_bps / 1e9) : 0; }
};

Point measure(double delay_ms, double target_bps, double window_s) {
  Point p{delay_ms, target_bps};
  cn::Scenario base;
  base.name = "bench";
  char rate[32], delay[32];
  std::snprintf(rate, sizeof rate, "%.0fkbit", target_bps / 1e3);
  std::snprintf(delay, sizeof delay, "%.0fms", delay_ms);
  // 100 ms of queue: absorbs the load generator's own scheduling stalls (its catch-up bursts would
  // otherwise be dropped while the link idled) without hiding an emulator that cannot keep up.
  char queue[32];
  std::snprintf(queue, sizeof queue, "%.0f", std::max(1500.0 * 1000, target_bps / 8 * 0.1));
  cn::Scenario s = cn::apply_overrides(base, {{"rate", rate}, {"delay", delay}, {"queue", queue}});
  cn::Topology topo(s);
  auto link = cn::make_link(cn::Backend::tun, topo);

  Fd rx = udp_in(topo.server_ns());
  Fd tx = udp_in(topo.client_ns());
  int big = 64 << 20;
  setsockopt(rx.get(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  setsockopt(tx.get(), SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, cn::Topology::kServerAddr, &a.sin_addr);
  if (::bind(rx.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) chunkbench::throw_errno("bind");
  socklen_t alen = sizeof a;
  getsockname(rx.get(), reinterpret_cast<sockaddr*>(&a), &alen);
  if (::connect(tx.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) chunkbench::throw_errno("connect");

  constexpr int kPayload = 1500 - 28;  // one MTU-sized IP packet per datagram
  const double settle = 2 * delay_ms / 1e3 + 0.5;
  const double total = settle + window_s;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> received{0};
  // The load generator runs at real-time priority (below the emulator's) so that on a shared
  // machine its own scheduling stalls do not starve the link and pass for emulator limits.
  auto realtime = [] {
    sched_param sp{};
    sp.sched_priority = 5;
    pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
  };
  std::thread receiver([&] {
    realtime();
    std::vector<char> buf(kPayload * 64);
    std::vector<mmsghdr> msgs(64);
    std::vector<iovec> iov(64);
    for (int i = 0; i < 64; ++i) {
      iov[i] = {buf.data() + i * kPayload, kPayload};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    timeval tv{0, 100000};
    setsockopt(rx.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (!stop.load(std::memory_order_relaxed)) {
      int n = recvmmsg(rx.get(), msgs.data(), 64, MSG_WAITFORONE, nullptr);
      if (n > 0) received.fetch_add(static_cast<std::uint64_t>(n) * 1500, std::memory_order_relaxed);
    }
  });
  std::thread sender([&] {
    realtime();
    std::vector<char> payload(kPayload, 'b');
    std::vector<mmsghdr> msgs(256);
    iovec iov{payload.data(), payload.size()};
    for (auto& m : msgs) {
      m = {};
      m.msg_hdr.msg_iov = &iov;
      m.msg_hdr.msg_iovlen = 1;
    }
    const double pps = 1.05 * target_bps / (1500 * 8);
    const double t0 = now_s();
    double sent = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      double due = (now_s() - t0) * pps - sent;
      if (due < 1) {
        timespec ts{0, 200000};
        nanosleep(&ts, nullptr);
        continue;
      }
      int n = sendmmsg(tx.get(), msgs.data(), static_cast<unsigned>(std::min(due, 256.0)), 0);
      if (n > 0) sent += n;
      else sent += std::min(due, 256.0);  // a full device queue drops, as a NIC would
    }
  });
  const double start = now_s();
  while (now_s() < start + settle) usleep(10000);
  auto c0 = link->counters();
  std::uint64_t r0 = received.load();
  double s0 = thread_cpu(sender), v0 = thread_cpu(receiver);
  double t0 = now_s();
  while (now_s() < start + total) usleep(10000);
  auto c1 = link->counters();
  std::uint64_t r1 = received.load();
  double s1 = thread_cpu(sender), v1 = thread_cpu(receiver);
  double t1 = now_s();
  p.tun_tx_dropped = tun_tx_dropped(topo.client_ns());
  stop = true;
  sender.join();
  receiver.join();
  const double w = t1 - t0;
  p.sender_cpu = (s1 - s0) / w;
  p.receiver_cpu = (v1 - v0) / w;
  p.offered_bps = static_cast<double>(c1["up"]["bytes_in"].get<std::uint64_t>() - c0["up"]["bytes_in"].get<std::uint64_t>()) * 8 / w;
  p.emulator_bps = static_cast<double>(c1["up"]["bytes_out"].get<std::uint64_t>() - c0["up"]["bytes_out"].get<std::uint64_t>()) * 8 / w;
  p.received_bps = static_cast<double>(r1 - r0) * 8 / w;
  p.cpu_fraction = (c1["thread_cpu_seconds"].get<double>() - c0["thread_cpu_seconds"].get<double>()) / w;
  p.dropped_overflow = c1["up"]["dropped_overflow"].get<std::uint64_t>();
  p.dropped_write = c1["up"]["dropped_write"].get<std::uint64_t>();
  p.release_late_max_us = c1["up"]["release_late_max_us"].get<double>();
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_out;
  double window = 3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--json" && i + 1 < argc) json_out = argv[++i];
    else if (a == "--window" && i + 1 < argc) window = std::stod(argv[++i]);
    else {
      std::fprintf(stderr, "usage: bench_netem [--json FILE] [--window SECONDS]\n");
      return 2;
    }
  }
  try {
    cn::require_net_admin();
    nlohmann::json all = nlohmann::json::array();
    std::printf("%7s %10s %11s %11s %11s %6s %10s %11s %8s\n", "delay", "target", "emulator in", "emulator out", "received",
                "CPU", "CPU/Gbit/s", "gen CPU s/r", "result");
    for (double delay : {0.0, 500.0}) {
      double best = 0;
      int failures = 0;
      for (double mbit : {100.0, 250.0, 500.0, 750.0, 1000.0, 1250.0, 1500.0, 1750.0, 2000.0, 2500.0, 3000.0, 3500.0, 4000.0, 5000.0}) {
        Point p = measure(delay, mbit * 1e6, window);
        std::printf("%5.0fms %5.0f Mbit %6.0f Mbit %7.0f Mbit %6.0f Mbit %5.0f%% %10.2f %5.0f%%/%3.0f%% %8s\n", delay, mbit,
                    p.offered_bps / 1e6, p.emulator_bps / 1e6, p.received_bps / 1e6, p.cpu_fraction * 100, p.cpu_per_gbit(),
                    p.sender_cpu * 100, p.receiver_cpu * 100,
                    p.sustained() ? "ok" : (p.generator_limited() ? "GEN-LIM" : "NOT"));
        std::fflush(stdout);
        all.push_back({{"delay_ms", delay}, {"target_bps", p.target_bps}, {"offered_bps", p.offered_bps},
                       {"emulator_bps", p.emulator_bps}, {"sender_cpu", p.sender_cpu}, {"receiver_cpu", p.receiver_cpu},
                       {"tun_tx_dropped", p.tun_tx_dropped}, {"generator_limited", p.generator_limited()},
                       {"received_bps", p.received_bps}, {"cpu_fraction", p.cpu_fraction},
                       {"cpu_core_per_gbit", p.cpu_per_gbit()}, {"sustained_within_5pct", p.sustained()},
                       {"dropped_overflow", p.dropped_overflow}, {"dropped_write", p.dropped_write},
                       {"release_late_max_us", p.release_late_max_us}});
        if (p.sustained()) best = mbit;
        else if (++failures >= 2) break;  // two misses in a row: past the ceiling
      }
      std::printf("delay %.0f ms: highest rate sustained within 5%%: %.0f Mbit/s\n", delay, best);
    }
    if (!json_out.empty()) std::ofstream(json_out) << all.dump(2) << "\n";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_netem: %s\n", e.what());
    return 1;
  }
  return 0;
}
