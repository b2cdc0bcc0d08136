#include "chunkbench/netem/emulator.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <vector>

#include "chunkbench/error.hpp"

namespace chunkbench::netem {
namespace {

std::int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void store_max(std::atomic<std::uint64_t>& a, std::uint64_t v) {
  if (v > a.load(std::memory_order_relaxed)) a.store(v, std::memory_order_relaxed);
}

void bump(std::atomic<std::uint64_t>& a, std::uint64_t v = 1) {
  // Only the emulator thread writes; a relaxed load+store avoids a locked add per packet.
  a.store(a.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

// xorshift64*: loss and jitter need speed and reproducibility, not cryptographic quality.
struct Rng {
  std::uint64_t s;
  double uniform() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return static_cast<double>((s * 0x2545F4914F6CDD1Dull) >> 11) * 0x1.0p-53;
  }
};

// A slot holds one packet; slots are preallocated and reused, so the hot path never allocates.
// Fixed-size slots waste memory on small packets but pages of the ring that are never reached are
// never touched, so the cost is virtual.
struct SlotHeader {
  std::int64_t due;     // when the packet leaves the link
  std::int64_t tx_end;  // when its last bit left the bottleneck (end of serialisation)
  std::int64_t arrival;
  std::uint32_t len;
  std::uint32_t pad;
};

constexpr std::int64_t kTimerGranularityNs = 50'000;
constexpr std::size_t kBatch = 64;                  // reads per device before looking at the clock again
constexpr std::uint64_t kMaxRingBytes = 512ull << 20;  // per direction, virtual
constexpr double kUnlimitedRateBound = 4e9;         // what one core can forward; sizes rings of unlimited links

}  // namespace

struct Emulator::Impl {
  struct Dir {
    Direction cfg;
    int in_fd = -1, out_fd = -1;
    std::size_t stride = 0, nslots = 0, payload = 0;
    std::unique_ptr<std::uint8_t[]> mem;
    std::uint64_t head = 0, tail = 0;   // slots [head, tail) hold packets in flight
    std::uint64_t qhead = 0;            // slots [qhead, tail) are still queued at the bottleneck
    std::uint64_t q_bytes = 0;
    std::uint64_t limit_bytes = 0, limit_packets = 0;
    std::int64_t last_tx_end = 0, last_due = 0;
    std::vector<std::uint8_t> scratch;  // where packets go that have no slot (counted, dropped)
    DirectionCounters c;

    SlotHeader* slot(std::uint64_t i) { return reinterpret_cast<SlotHeader*>(mem.get() + (i % nslots) * stride); }
    std::uint8_t* data(SlotHeader* h) { return reinterpret_cast<std::uint8_t*>(h) + sizeof(SlotHeader); }
  };

  Dir up, down;
  Rng rng;
  Fd epoll, stop_fd;
  std::thread thread;
  pthread_t native{};
  std::atomic<bool> running{false};
  std::atomic<bool> realtime{false};
  LatenessStats wake_late;

  void setup(Dir& d, const Scenario& s, const Direction& cfg, int in, int out) {
    d.cfg = cfg;
    d.in_fd = in;
    d.out_fd = out;
    d.payload = static_cast<std::size_t>(s.mtu) + 64;  // room for the largest packet the device may hand us
    d.stride = (sizeof(SlotHeader) + d.payload + 63) / 64 * 64;
    d.limit_bytes = s.queue_limit_bytes(cfg);
    d.limit_packets = s.queue_limit_packets(cfg);
    // Packets in flight = those in the delay line (rate x delay) + those queued; twice that in
    // full-size slots leaves room for the small packets (ACKs) of the reverse traffic.
    double rate = cfg.rate_bps ? static_cast<double>(cfg.rate_bps) : kUnlimitedRateBound;
    double in_flight = rate / 8 * static_cast<double>(cfg.delay_ns + cfg.jitter_ns) / 1e9 +
                       static_cast<double>(cfg.rate_bps ? d.limit_bytes : 0);
    double slots = 2 * in_flight / s.mtu + 4096;
    d.nslots = static_cast<std::size_t>(std::min(slots, static_cast<double>(kMaxRingBytes / d.stride)));
    d.mem = std::make_unique_for_overwrite<std::uint8_t[]>(d.nslots * d.stride);
    d.scratch.resize(d.payload);
  }

  void deliver(Dir& d, std::int64_t now) {
    while (d.head != d.tail) {
      SlotHeader* h = d.slot(d.head);
      if (h->due > now) break;
      ssize_t w = ::write(d.out_fd, d.data(h), h->len);
      if (w < 0) bump(d.c.dropped_write);
      else {
        bump(d.c.packets_out);
        bump(d.c.bytes_out, h->len);
      }
      d.c.release_late.record(now - h->due);
      const auto residence = static_cast<std::uint64_t>(now - h->arrival);
      store_max(d.c.residence_max_ns, residence);
      if (residence < d.c.residence_min_ns.load(std::memory_order_relaxed))
        d.c.residence_min_ns.store(residence, std::memory_order_relaxed);
      if (d.qhead == d.head) {
        d.q_bytes -= h->len;
        ++d.qhead;
      }
      ++d.head;
    }
  }

  // Reads up to kBatch packets; returns how many were read.
  std::size_t receive(Dir& d) {
    std::size_t n = 0;
    for (; n < kBatch; ++n) {
      const bool full = d.tail - d.head == d.nslots;
      SlotHeader* h = full ? nullptr : d.slot(d.tail);
      std::uint8_t* buf = full ? d.scratch.data() : d.data(h);
      ssize_t r = ::read(d.in_fd, buf, d.payload);
      if (r <= 0) break;
      const auto len = static_cast<std::uint32_t>(r);
      if ((buf[0] >> 4) != 4) {  // IPv6 is off in the namespaces; anything else is noise
        bump(d.c.ignored);
        continue;
      }
      const std::int64_t now = now_ns();
      bump(d.c.packets_in);
      bump(d.c.bytes_in, len);
      if (full) {
        bump(d.c.dropped_overflow);
        continue;
      }
      if (d.cfg.loss > 0 && rng.uniform() < d.cfg.loss) {
        bump(d.c.dropped_loss);
        continue;
      }
      while (d.qhead != d.tail && d.slot(d.qhead)->tx_end <= now) {
        d.q_bytes -= d.slot(d.qhead)->len;
        ++d.qhead;
      }
      if (d.q_bytes + len > d.limit_bytes || (d.limit_packets && d.tail - d.qhead + 1 > d.limit_packets)) {
        bump(d.c.dropped_queue);
        continue;
      }
      const std::int64_t tx_start = std::max(now, d.last_tx_end);
      const std::int64_t tx_end =
          d.cfg.rate_bps ? tx_start + static_cast<std::int64_t>(std::uint64_t{len} * 8'000'000'000ull / d.cfg.rate_bps)
                         : now;
      std::int64_t delay = d.cfg.delay_ns;
      if (d.cfg.jitter_ns) delay += static_cast<std::int64_t>((2 * rng.uniform() - 1) * static_cast<double>(d.cfg.jitter_ns));
      const std::int64_t due = std::max(tx_end + delay, d.last_due);
      d.last_tx_end = tx_end;
      d.last_due = due;
      h->due = due;
      h->tx_end = tx_end;
      h->arrival = now;
      h->len = len;
      ++d.tail;
      if (!d.cfg.rate_bps) ++d.qhead;  // an unlimited link has no queue
      else d.q_bytes += len;
      const auto wait = static_cast<std::uint64_t>(tx_start - now);
      bump(d.c.packets_queued);
      bump(d.c.queue_delay_sum_ns, wait);
      store_max(d.c.queue_delay_max_ns, wait);
      store_max(d.c.queue_peak_bytes, d.q_bytes);
    }
    return n;
  }

  void loop() {
    prctl(PR_SET_TIMERSLACK, 1UL);  // the default 50 us slack would blur sub-millisecond release times
    // Release times are the emulator's whole job: on a shared machine a real-time priority keeps
    // other processes from delaying them. Best effort; the counters say whether it was granted.
    sched_param sp{};
    sp.sched_priority = 10;
    realtime = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
    epoll_event events[4];
    while (running.load(std::memory_order_relaxed)) {
      std::int64_t now = now_ns();
      deliver(up, now);
      deliver(down, now);
      std::size_t got = receive(up) + receive(down);
      if (got) continue;
      std::int64_t next = INT64_MAX;
      if (up.head != up.tail) next = std::min(next, up.slot(up.head)->due);
      if (down.head != down.tail) next = std::min(next, down.slot(down.head)->due);
      timespec ts{}, *timeout = nullptr;
      if (next != INT64_MAX) {
        std::int64_t wait = next - now_ns();
        if (wait <= 0) continue;
        // Coalesce wakeups: at 1 Gbit/s a packet is due every 12 us, and a timer interrupt per
        // packet costs more than the forwarding. Releasing up to kTimerGranularityNs late bounds
        // the error per direction while capping wakeups at ~20,000 per second.
        wait = std::max(wait, kTimerGranularityNs);
        ts.tv_sec = wait / 1'000'000'000;
        ts.tv_nsec = wait % 1'000'000'000;
        timeout = &ts;
      }
      const std::int64_t wake_due = timeout ? now_ns() + ts.tv_sec * 1'000'000'000 + ts.tv_nsec : 0;
      int n = epoll_pwait2(epoll.get(), events, 4, timeout, nullptr);
      if (n == 0 && timeout) wake_late.record(now_ns() - wake_due);
      if (n < 0 && errno != EINTR) break;
    }
  }
};

void LatenessStats::record(std::int64_t ns) {
  const auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0));
  bump(buckets[std::min<std::size_t>(std::bit_width(v), kBuckets - 1)]);
  bump(count);
  store_max(max_ns, v);
}

std::uint64_t LatenessStats::percentile_ns(double p) const {
  const std::uint64_t n = count.load();
  if (!n) return 0;
  const auto rank = static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(n)));
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < kBuckets; ++b) {
    seen += buckets[b].load(std::memory_order_relaxed);
    // Bucket b holds [2^(b-1), 2^b): its upper edge bounds every sample in it, capped by the true maximum.
    if (seen >= rank) return std::min<std::uint64_t>(b ? (1ull << b) - 1 : 0, max_ns.load());
  }
  return max_ns.load();
}

void LatenessStats::add_to(nlohmann::json& j, const std::string& prefix) const {
  j[prefix + "_max_us"] = static_cast<double>(max_ns.load()) / 1e3;
  j[prefix + "_p50_us"] = static_cast<double>(percentile_ns(0.50)) / 1e3;
  j[prefix + "_p99_us"] = static_cast<double>(percentile_ns(0.99)) / 1e3;
}

nlohmann::json DirectionCounters::to_json() const {
  const auto queued = packets_queued.load();
  nlohmann::json j = {{"packets_in", packets_in.load()},
                      {"bytes_in", bytes_in.load()},
                      {"packets_out", packets_out.load()},
                      {"bytes_out", bytes_out.load()},
                      {"dropped_loss", dropped_loss.load()},
                      {"dropped_queue", dropped_queue.load()},
                      {"dropped_overflow", dropped_overflow.load()},
                      {"dropped_write", dropped_write.load()},
                      {"ignored_non_ipv4", ignored.load()},
                      {"queue_delay_mean_us", queued ? static_cast<double>(queue_delay_sum_ns.load()) / static_cast<double>(queued) / 1e3 : 0.0},
                      {"queue_delay_max_us", static_cast<double>(queue_delay_max_ns.load()) / 1e3},
                      {"queue_peak_bytes", queue_peak_bytes.load()}};
  release_late.add_to(j, "release_late");
  const auto res_min = residence_min_ns.load();
  j["residence_min_us"] = res_min == UINT64_MAX ? 0.0 : static_cast<double>(res_min) / 1e3;
  j["residence_max_us"] = static_cast<double>(residence_max_ns.load()) / 1e3;
  return j;
}

Emulator::Emulator(const Scenario& s, int client_fd, int server_fd, std::uint64_t seed) : impl_(std::make_unique<Impl>()) {
  impl_->rng.s = seed ? seed : 1;
  impl_->setup(impl_->up, s, s.up, client_fd, server_fd);
  impl_->setup(impl_->down, s, s.down, server_fd, client_fd);
  for (int fd : {client_fd, server_fd}) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) throw_errno("fcntl O_NONBLOCK on the link device");
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) throw_errno("epoll_create1");
  impl_->epoll.reset(ep);
  int ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (ev < 0) throw_errno("eventfd");
  impl_->stop_fd.reset(ev);
  for (int fd : {client_fd, server_fd, ev}) {
    epoll_event e{};
    e.events = EPOLLIN;
    e.data.fd = fd;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) != 0) throw_errno("epoll_ctl ADD");
  }
}

Emulator::~Emulator() { stop(); }

void Emulator::start() {
  if (impl_->running.exchange(true)) return;
  impl_->thread = std::thread([this] { impl_->loop(); });
  impl_->native = impl_->thread.native_handle();
}

void Emulator::stop() {
  if (!impl_->running.exchange(false)) return;
  std::uint64_t one = 1;
  if (::write(impl_->stop_fd.get(), &one, sizeof one) < 0) {
    // The eventfd cannot be full after one write; the loop also re-checks `running` on every wake.
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

const DirectionCounters& Emulator::up() const { return impl_->up.c; }
const DirectionCounters& Emulator::down() const { return impl_->down.c; }
const LatenessStats& Emulator::wake_late() const { return impl_->wake_late; }

double Emulator::thread_cpu_seconds() const {
  if (!impl_->thread.joinable()) return 0;
  clockid_t cid;
  if (pthread_getcpuclockid(impl_->native, &cid) != 0) return 0;
  timespec ts;
  if (clock_gettime(cid, &ts) != 0) return 0;
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::uint64_t Emulator::ring_bytes(bool up_dir) const {
  const auto& d = up_dir ? impl_->up : impl_->down;
  return d.nslots * d.stride;
}

nlohmann::json Emulator::counters_json() const {
  nlohmann::json j;
  j["up"] = impl_->up.c.to_json();
  j["down"] = impl_->down.c.to_json();
  j["up"]["queue_limit_bytes"] = impl_->up.limit_bytes;
  j["down"]["queue_limit_bytes"] = impl_->down.limit_bytes;
  if (impl_->up.limit_packets) j["up"]["queue_limit_packets"] = impl_->up.limit_packets;
  if (impl_->down.limit_packets) j["down"]["queue_limit_packets"] = impl_->down.limit_packets;
  j["up"]["ring_slots"] = impl_->up.nslots;
  j["down"]["ring_slots"] = impl_->down.nslots;
  j["thread_cpu_seconds"] = thread_cpu_seconds();
  j["realtime_priority"] = impl_->realtime.load();
  impl_->wake_late.add_to(j, "wake_late");
  j["timed_wakeups"] = impl_->wake_late.count.load();
  return j;
}

}  // namespace chunkbench::netem
