#include "chunkbench/netem/check.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/tcp.h>  // not netinet/tcp.h: its tcp_info lacks tcpi_data_segs_in
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <sstream>
#include <thread>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/netem/link.hpp"
#include "chunkbench/netem/netns.hpp"
#include "chunkbench/netem/topology.hpp"

namespace chunkbench::netem {
namespace {

double now_s() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

sockaddr_in addr_of(const char* ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

// A socket belongs to the namespace of the thread that creates it, for its whole life.
Fd socket_in(const std::string& ns, int type) {
  ScopedNetns in(netns_path(ns));
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("socket in " + ns);
  return Fd(fd);
}

void set_int(int fd, int level, int opt, int v, const char* what) {
  if (setsockopt(fd, level, opt, &v, sizeof v) != 0) throw_errno(std::string("setsockopt ") + what);
}

void set_cc(int fd, const std::string& cc) {
  if (cc.empty()) return;
  if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc.data(), static_cast<socklen_t>(cc.size())) != 0)
    throw_errno("setsockopt TCP_CONGESTION '" + cc + "' (see net.ipv4.tcp_available_congestion_control)");
}

std::string get_cc(int fd) {
  char buf[32] = {};
  socklen_t len = sizeof buf;
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, buf, &len) != 0) return "?";
  return std::string(buf, strnlen(buf, len));
}

Fd listener(const std::string& ns, std::uint16_t* port) {
  Fd l = socket_in(ns, SOCK_STREAM);
  set_int(l.get(), SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  sockaddr_in a = addr_of(Topology::kServerAddr, 0);
  if (::bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw_errno(std::string("bind ") + Topology::kServerAddr);
  if (::listen(l.get(), 128) != 0) throw_errno("listen");
  socklen_t len = sizeof a;
  getsockname(l.get(), reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return l;
}

void connect_to(int fd, std::uint16_t port) {
  sockaddr_in a = addr_of(Topology::kServerAddr, port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw_errno(std::string("connect to ") + Topology::kServerAddr + ":" + std::to_string(port) + " across the link");
}

Fd accept_one(int l) {
  int fd = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) throw_errno("accept");
  return Fd(fd);
}

void write_all(int fd, const char* p, std::size_t n) {
  while (n) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw_errno("write");
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void read_exact(int fd, char* p, std::size_t n) {
  while (n) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) throw Error(Errc::network, "echo peer closed or failed during the RTT probe");
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

void measure_rtt(Topology& t, int samples, CheckResult& r) {
  std::uint16_t port = 0;
  Fd l = listener(t.server_ns(), &port);
  for (int i = 0; i < samples; ++i) {
    Fd c = socket_in(t.client_ns(), SOCK_STREAM);
    double t0 = now_s();
    connect_to(c.get(), port);
    r.connect_rtt_ms.push_back((now_s() - t0) * 1e3);
    accept_one(l.get());  // drained so the backlog never fills
  }
  Fd c = socket_in(t.client_ns(), SOCK_STREAM);
  set_int(c.get(), IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
  connect_to(c.get(), port);
  Fd s = accept_one(l.get());
  set_int(s.get(), IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
  std::thread echo([fd = s.get()] {
    char buf[64];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) return;
      if (::write(fd, buf, static_cast<std::size_t>(n)) != n) return;
    }
  });
  try {
    char msg[32] = "chunkbench netem rtt probe";
    for (int i = 0; i < samples; ++i) {
      double t0 = now_s();
      write_all(c.get(), msg, sizeof msg);
      read_exact(c.get(), msg, sizeof msg);
      r.echo_rtt_ms.push_back((now_s() - t0) * 1e3);
    }
  } catch (...) {
    ::shutdown(s.get(), SHUT_RDWR);
    echo.join();
    throw;
  }
  ::shutdown(c.get(), SHUT_WR);
  echo.join();
}

// Bulk TCP transfers on `streams` parallel connections from the `sender_is_client` side for
// `total` seconds; the receiver counts bytes against time and the result is the aggregate rate
// over the final `window` seconds, after slow start.
BulkResult measure_bulk(Topology& t, bool sender_is_client, double total, double window, const std::string& cc,
                        int streams, const Direction& dir) {
  BulkResult b;
  b.configured_bps = static_cast<double>(dir.rate_bps);
  b.streams = streams;
  std::uint16_t port = 0;
  Fd l = listener(t.server_ns(), &port);
  std::vector<Fd> client_fds, server_fds;
  std::vector<int> send_fds;
  std::vector<pollfd> recv_fds;
  for (int i = 0; i < streams; ++i) {
    Fd c = socket_in(t.client_ns(), SOCK_STREAM);
    set_cc(c.get(), cc);
    connect_to(c.get(), port);
    Fd s = accept_one(l.get());
    set_cc(s.get(), cc);
    send_fds.push_back(sender_is_client ? c.get() : s.get());
    recv_fds.push_back({sender_is_client ? s.get() : c.get(), POLLIN, 0});
    client_fds.push_back(std::move(c));
    server_fds.push_back(std::move(s));
  }
  b.congestion_control = get_cc(send_fds[0]);
  std::atomic<bool> stop{false};
  std::vector<std::thread> senders;
  for (int fd : send_fds)
    senders.emplace_back([fd, &stop] {
      std::vector<char> buf(256 * 1024, 'x');
      while (!stop.load(std::memory_order_relaxed)) {
        ssize_t w = ::send(fd, buf.data(), buf.size(), MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
      }
    });
  auto finish = [&] {
    stop = true;
    for (int fd : send_fds) ::shutdown(fd, SHUT_RDWR);
    for (auto& p : recv_fds) ::shutdown(p.fd, SHUT_RDWR);
    for (auto& th : senders) th.join();
  };
  // Two clocks of delivery: bytes the application read (goodput; stalls a whole RTT behind a lost
  // segment) and data segments the receiving TCP got off the link, in order or not (tcpi_data_segs_in,
  // sampled every 50 ms), which is what the link's rate governs.
  struct Sample {
    double t;
    std::uint64_t bytes, segs;
  };
  std::vector<Sample> samples;
  samples.reserve(1 << 12);
  auto segs_in = [&] {
    std::uint64_t n = 0;
    for (auto& p : recv_fds) {
      tcp_info ti{};
      socklen_t len = sizeof ti;
      if (getsockopt(p.fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) n += ti.tcpi_data_segs_in;
    }
    return n;
  };
  std::vector<char> buf(1 << 20);
  std::uint64_t got = 0;
  const double start = now_s(), end = start + total;
  samples.push_back({start, 0, segs_in()});
  try {
    for (;;) {
      double now = now_s();
      if (now >= end) break;
      if (now - samples.back().t >= 0.05) samples.push_back({now, got, segs_in()});
      int pr = ::poll(recv_fds.data(), recv_fds.size(), static_cast<int>(std::min(50.0, std::ceil((end - now) * 1e3))));
      if (pr < 0 && errno == EINTR) continue;
      if (pr <= 0) continue;
      for (auto& p : recv_fds) {
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(p.fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw Error(Errc::network, "bulk transfer across the link ended early");
        got += static_cast<std::uint64_t>(n);
      }
    }
    samples.push_back({now_s(), got, segs_in()});
  } catch (...) {
    finish();
    throw;
  }
  tcp_info ti{};
  socklen_t len = sizeof ti;
  getsockopt(send_fds[0], IPPROTO_TCP, TCP_INFO, &ti, &len);
  b.mss = static_cast<int>(ti.tcpi_snd_mss);
  finish();
  b.total_s = total;
  b.bytes = got;
  // Windows of `window` seconds between real sample times, all after slow start (the last
  // 2 x window of the transfer). The link's rate bounds every window from above, so the best one
  // says whether the link delivers its rate when saturated; TCP loss recovery at long RTTs can
  // leave any single window short of it. The final window is reported beside it.
  const int mtu = t.scenario().mtu;
  auto rate_between = [&](const Sample& a, const Sample& z, double* goodput) {
    const double dt = z.t - a.t;
    if (goodput) *goodput = dt > 0 ? static_cast<double>(z.bytes - a.bytes) * 8 / dt : 0;
    // A bulk sender fills every segment, so each is one MTU-sized IP packet on the link.
    return dt > 0 ? static_cast<double>(z.segs - a.segs) * mtu * 8 / dt : 0;
  };
  const double measure_from = end - 2 * window;
  std::size_t j = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    while (j + 1 < i && samples[j + 1].t <= samples[i].t - window) ++j;
    if (samples[j].t < measure_from || samples[i].t - samples[j].t < window) continue;
    double goodput = 0;
    double rate = rate_between(samples[j], samples[i], &goodput);
    if (rate > b.ip_bps) {
      b.ip_bps = rate;
      b.goodput_bps = goodput;
      b.window_s = samples[i].t - samples[j].t;
      b.window_end_s = samples[i].t - start;
    }
  }
  std::size_t f = 0;
  while (f + 1 < samples.size() && samples[f + 1].t <= end - window) ++f;
  b.final_ip_bps = rate_between(samples[f], samples.back(), nullptr);
  return b;
}

// Paced UDP datagrams with sequence numbers; the receiver counts distinct ones.
LossResult measure_loss(Topology& t, bool from_client, int count, const Direction& dir) {
  LossResult r;
  r.configured = dir.loss;
  Fd rx = socket_in(from_client ? t.server_ns() : t.client_ns(), SOCK_DGRAM);
  Fd tx = socket_in(from_client ? t.client_ns() : t.server_ns(), SOCK_DGRAM);
  const char* rx_ip = from_client ? Topology::kServerAddr : Topology::kClientAddr;
  sockaddr_in a = addr_of(rx_ip, 0);
  if (::bind(rx.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw_errno(std::string("bind udp ") + rx_ip);
  socklen_t alen = sizeof a;
  getsockname(rx.get(), reinterpret_cast<sockaddr*>(&a), &alen);
  set_int(rx.get(), SOL_SOCKET, SO_RCVBUF, 4 << 20, "SO_RCVBUF");
  // Pace to a quarter of the link rate so the probe itself never fills the queue.
  constexpr int kSize = 64;
  const double ip_bits = (kSize + 28) * 8.0;
  double gap = 100e-6;
  if (dir.rate_bps) gap = std::max(gap, ip_bits / (0.25 * static_cast<double>(dir.rate_bps)));
  count = std::max(100, std::min(count, static_cast<int>(3.0 / gap)));
  std::vector<bool> seen(static_cast<std::size_t>(count), false);
  std::thread sender([&] {
    char msg[kSize] = {};
    timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    const long gap_ns = static_cast<long>(gap * 1e9);
    for (int i = 0; i < count; ++i) {
      std::memcpy(msg, &i, sizeof i);
      ::sendto(tx.get(), msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
      next.tv_nsec += gap_ns;
      while (next.tv_nsec >= 1'000'000'000) {
        next.tv_nsec -= 1'000'000'000;
        ++next.tv_sec;
      }
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
    }
  });
  r.sent = static_cast<std::uint64_t>(count);
  const double deadline = now_s() + count * gap + 2 * static_cast<double>(dir.delay_ns + dir.jitter_ns) / 1e9 + 0.5;
  char buf[kSize];
  for (;;) {
    double left = deadline - now_s();
    if (left <= 0 || r.received == r.sent) break;
    pollfd p{rx.get(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::ceil(left * 1e3))) <= 0) continue;
    ssize_t n = ::recv(rx.get(), buf, sizeof buf, 0);
    if (n != kSize) continue;
    int seq;
    std::memcpy(&seq, buf, sizeof seq);
    if (seq >= 0 && seq < count && !seen[static_cast<std::size_t>(seq)]) {
      seen[static_cast<std::size_t>(seq)] = true;
      ++r.received;
    }
  }
  sender.join();
  return r;
}

std::string mbit(double bps) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f Mbit/s", bps / 1e6);
  return b;
}

}  // namespace

bool rtt_within_tolerance(double configured_ms, double measured_ms) {
  return std::abs(measured_ms - configured_ms) <= std::max(0.02 * configured_ms, 2.0);
}

bool rate_within_tolerance(double configured_bps, double measured_bps) {
  return std::abs(measured_bps - configured_bps) <= 0.05 * configured_bps;
}

double CheckResult::connect_rtt_median_ms() const { return median(connect_rtt_ms); }
double CheckResult::echo_rtt_median_ms() const { return median(echo_rtt_ms); }

nlohmann::json BulkResult::to_json() const {
  return {{"configured_bps", configured_bps}, {"ip_bps", ip_bps}, {"goodput_bps", goodput_bps},
          {"window_s", window_s}, {"window_end_s", window_end_s}, {"final_window_ip_bps", final_ip_bps},
          {"total_s", total_s}, {"bytes", bytes}, {"mss", mss},
          {"congestion_control", congestion_control}, {"streams", streams},
          {"within_5pct", configured_bps > 0 ? nlohmann::json(rate_within_tolerance(configured_bps, ip_bps)) : nlohmann::json()}};
}

nlohmann::json LossResult::to_json() const {
  return {{"configured", configured}, {"sent", sent}, {"received", received}, {"measured", measured()}};
}

nlohmann::json CheckResult::to_json() const {
  nlohmann::json j;
  j["scenario"] = scenario_json;
  j["link"] = link;
  j["sysctls"] = sysctls;
  if (!connect_rtt_ms.empty()) {
    j["rtt"] = {{"configured_ms", configured_rtt_ms},
                {"connect_ms", connect_rtt_ms},
                {"connect_median_ms", connect_rtt_median_ms()},
                {"request_response_ms", echo_rtt_ms},
                {"request_response_median_ms", echo_rtt_median_ms()},
                {"within_tolerance", rtt_within_tolerance(configured_rtt_ms, echo_rtt_median_ms())}};
  }
  if (up.total_s > 0) j["throughput"] = {{"up", up.to_json()}, {"down", down.to_json()}};
  if (loss_up.sent) j["loss"] = {{"up", loss_up.to_json()}, {"down", loss_down.to_json()}};
  j["counters"] = counters;
  j["congestion_control"] = {{"algorithm", congestion_control},
                             {"source", congestion_control_per_socket ? "per socket" : "namespace default"}};
  return j;
}

std::string CheckResult::to_text() const {
  std::ostringstream o;
  char line[512];
  o << "scenario " << scenario << "\n";
  if (link.contains("backend")) o << "link     " << link["backend"].get<std::string>() << (link.contains("reason") ? " — " + link["reason"].get<std::string>() : "") << "\n";
  if (!congestion_control.empty())
    o << "tcp cc   " << congestion_control
      << (congestion_control_per_socket ? " (set per socket for the bulk transfers; a run's programs get the namespaces' default)"
                                        : " (the namespaces' default, as a run's programs get it)")
      << "\n";
  std::snprintf(line, sizeof line, "%-32s %16s %16s  %s\n", "", "configured", "measured", "");
  o << line;
  auto ok = [](bool b) { return b ? "ok" : "OFF"; };
  if (!connect_rtt_ms.empty()) {
    std::snprintf(line, sizeof line, "%-32s %13.2f ms %13.2f ms  %s (median of %zu)\n", "RTT, TCP connect",
                  configured_rtt_ms, connect_rtt_median_ms(), ok(rtt_within_tolerance(configured_rtt_ms, connect_rtt_median_ms())),
                  connect_rtt_ms.size());
    o << line;
    std::snprintf(line, sizeof line, "%-32s %13.2f ms %13.2f ms  %s (median of %zu)\n", "RTT, 32 B request/response",
                  configured_rtt_ms, echo_rtt_median_ms(), ok(rtt_within_tolerance(configured_rtt_ms, echo_rtt_median_ms())),
                  echo_rtt_ms.size());
    o << line;
  }
  for (auto [name, b] : {std::pair{"up", &up}, std::pair{"down", &down}}) {
    if (b->total_s <= 0) continue;
    std::snprintf(line, sizeof line,
                  "%-32s %16s %16s  %s (data segments x MTU, best %.1f s window after slow start, ending at %.1f of %.1f s; "
                  "final window %s; app goodput %s; %s)\n",
                  (std::string("throughput ") + name + (std::string(name) == "up" ? " (client->server)" : " (server->client)")).c_str(),
                  b->configured_bps > 0 ? mbit(b->configured_bps).c_str() : "unlimited", mbit(b->ip_bps).c_str(),
                  b->configured_bps > 0 ? ok(rate_within_tolerance(b->configured_bps, b->ip_bps)) : "--", b->window_s,
                  b->window_end_s, b->total_s, mbit(b->final_ip_bps).c_str(), mbit(b->goodput_bps).c_str(),
                  b->congestion_control.c_str());
    o << line;
  }
  for (auto [name, l] : {std::pair{"up", &loss_up}, std::pair{"down", &loss_down}}) {
    if (!l->sent) continue;
    std::snprintf(line, sizeof line, "%-32s %15.2f%% %15.2f%%  (%llu of %llu UDP probes lost)\n", (std::string("loss ") + name).c_str(),
                  l->configured * 100, l->measured() * 100, static_cast<unsigned long long>(l->sent - l->received),
                  static_cast<unsigned long long>(l->sent));
    o << line;
  }
  return o.str();
}

CheckResult run_check(Topology& t, Link& l, const CheckOptions& o) {
  const Scenario& s = t.scenario();
  CheckResult r;
  r.scenario = s.describe();
  r.scenario_json = s.to_json();
  r.link = l.describe();
  r.sysctls = t.sysctls();
  const double rtt = static_cast<double>(s.base_rtt_ns()) / 1e9;
  r.configured_rtt_ms = rtt * 1e3;
  if (o.rtt) {
    int samples = o.rtt_samples > 0 ? o.rtt_samples : std::clamp(static_cast<int>(3.0 / std::max(rtt, 1e-3)), 3, 10);
    measure_rtt(t, samples, r);
  }
  if (o.bulk) {
    for (auto [dir, is_up] : {std::pair{&s.up, true}, std::pair{&s.down, false}}) {
      double window = o.window_seconds > 0 ? o.window_seconds : std::max(2.0, 3 * rtt);
      double total = o.bulk_seconds;
      if (total <= 0) {
        // Slow start doubles per RTT from 10 segments; allow that, four more RTTs (a spurious SYN
        // retransmission at RTT >= 1 s, the last doubling, the overflow) and then the window.
        double bdp_segments = static_cast<double>(dir->rate_bps) / 8 * rtt / (s.mtu - 52);
        double ramp = dir->rate_bps ? rtt * (std::log2(std::max(2.0, bdp_segments / 10)) + 4) + 0.5 : 0.5;
        total = ramp + 2 * window;
      }
      window = std::min(window, total / 2);
      (is_up ? r.up : r.down) = measure_bulk(t, is_up, total, window, o.congestion_control, std::max(1, o.streams), *dir);
    }
    r.congestion_control = r.down.congestion_control;
    r.congestion_control_per_socket = !o.congestion_control.empty();
  }
  if (o.loss) {
    for (auto [dir, is_up] : {std::pair{&s.up, true}, std::pair{&s.down, false}}) {
      int n = o.loss_probes > 0 ? o.loss_probes : (dir->loss > 0 ? 10000 : 1000);
      (is_up ? r.loss_up : r.loss_down) = measure_loss(t, is_up, n, *dir);
    }
  }
  if (r.congestion_control.empty() && r.sysctls.contains("server"))
    r.congestion_control = r.sysctls["server"].value("net.ipv4.tcp_congestion_control", std::string());
  r.counters = l.counters();
  return r;
}

}  // namespace chunkbench::netem
