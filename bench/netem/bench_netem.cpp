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
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

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
#include "chunkbench/netem/scenario.hpp"
#include "chunkbench/netem/topology.hpp"

namespace cn = chunkbench::netem;
using chunkbench::Fd;

namespace {

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
  double emulator_bps = 0, received_bps = 0;
  double cpu_fraction = 0;  // of one core, over the window
  std::uint64_t dropped_overflow = 0, dropped_write = 0;
  double release_late_max_us = 0;
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
  cn::Scenario s = cn::apply_overrides(base, {{"rate", rate}, {"delay", delay}, {"queue", "1000p"}});
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
  std::thread receiver([&] {
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
  double t0 = now_s();
  while (now_s() < start + total) usleep(10000);
  auto c1 = link->counters();
  std::uint64_t r1 = received.load();
  double t1 = now_s();
  stop = true;
  sender.join();
  receiver.join();
  const double w = t1 - t0;
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
    std::printf("%9s %11s %13s %13s %9s %12s %9s\n", "delay", "target", "emulator out", "received", "CPU", "CPU/Gbit/s", "result");
    for (double delay : {0.0, 500.0}) {
      double best = 0;
      int failures = 0;
      for (double mbit : {100.0, 250.0, 500.0, 750.0, 1000.0, 1250.0, 1500.0, 1750.0, 2000.0, 2500.0, 3000.0}) {
        Point p = measure(delay, mbit * 1e6, window);
        std::printf("%7.0fms %6.0f Mbit %8.1f Mbit %8.1f Mbit %8.0f%% %11.2f %9s\n", delay, mbit, p.emulator_bps / 1e6,
                    p.received_bps / 1e6, p.cpu_fraction * 100, p.cpu_per_gbit(), p.sustained() ? "ok" : "NOT");
        std::fflush(stdout);
        all.push_back({{"delay_ms", delay}, {"target_bps", p.target_bps}, {"emulator_bps", p.emulator_bps},
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
