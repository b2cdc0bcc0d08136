#pragma once
// A Mahimahi-style packet-level link emulator between two file descriptors per direction (TUN
// devices in practice), run by one thread.
//
// Per direction one FIFO in a preallocated byte ring (no allocation per packet):
//   - random loss on arrival (like mm-loss in front of the link);
//   - drop-tail bottleneck queue bounded in bytes and/or packets;
//   - serialisation at the rate: tx_end = max(arrival, previous tx_end) + size / rate;
//   - propagation: release = max(tx_end + delay ± jitter, previous release), so packets stay in order.
// With jitter 0 this is release = max(arrival + size/rate + delay, previous release + size/rate):
// the max(arrival + delay, previous departure + size/rate) with each packet's own
// transmission time included, as on a real wire.
// Release times are computed on the emulated timeline, so timer latency never lowers the rate: a
// late wakeup releases everything due at once. Wakeups are coalesced to >= 50 us apart (a packet
// is released at most ~50 us late plus scheduling latency).
//
// The thread measures its own lateness, so a measurement taken through the link can be judged
// against what the emulator actually did on a loaded machine: per direction how late packets left
// versus their due time (release_late_*) and how long each stayed in the emulator, arrival to
// release (residence_*); for the thread, how late its timed wakeups came (wake_late_*), about
// what a packet may wait before the thread reads it.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "chunkbench/fd.hpp"
#include "chunkbench/netem/scenario.hpp"

namespace chunkbench::netem {

// Lateness samples in power-of-two buckets of nanoseconds (one writer, any readers): the maximum
// exactly, percentiles as the upper edge of their bucket, i.e. within a factor of two, from above.
struct LatenessStats {
  static constexpr std::size_t kBuckets = 40;  // up to 2^39 ns = 9 minutes
  std::array<std::atomic<std::uint64_t>, kBuckets> buckets{};
  std::atomic<std::uint64_t> count{0}, max_ns{0};
  void record(std::int64_t ns);
  std::uint64_t percentile_ns(double p) const;
  // {PREFIX_max_us, PREFIX_p50_us, PREFIX_p99_us} into `j`.
  void add_to(nlohmann::json& j, const std::string& prefix) const;
};

struct DirectionCounters {
  std::atomic<std::uint64_t> packets_in{0}, bytes_in{0};
  std::atomic<std::uint64_t> packets_out{0}, bytes_out{0};
  std::atomic<std::uint64_t> dropped_loss{0};      // random loss
  std::atomic<std::uint64_t> dropped_queue{0};     // drop-tail queue full
  std::atomic<std::uint64_t> dropped_overflow{0};  // emulator ring full (should stay 0: the ring is sized for rate x delay)
  std::atomic<std::uint64_t> dropped_write{0};     // the receiving device refused the packet
  std::atomic<std::uint64_t> ignored{0};           // not IPv4 (e.g. IPv6 router solicitations)
  std::atomic<std::uint64_t> packets_queued{0};    // accepted into the queue (not dropped)
  std::atomic<std::uint64_t> queue_delay_sum_ns{0}, queue_delay_max_ns{0};
  std::atomic<std::uint64_t> queue_peak_bytes{0};
  LatenessStats release_late;                        // release time minus due time, per packet
  std::atomic<std::uint64_t> residence_min_ns{UINT64_MAX}, residence_max_ns{0};  // release minus arrival
  nlohmann::json to_json() const;
};

class Emulator {
 public:
  // `up_in`->`up_out` carries client->server packets, `down_in`->`down_out` the reverse. For TUN
  // devices up_in == down_out (the client's device) and down_in == up_out. Fds are borrowed.
  Emulator(const Scenario& s, int client_fd, int server_fd, std::uint64_t seed = 0x5eed);
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;
  ~Emulator();

  void start();
  void stop();

  const DirectionCounters& up() const;
  const DirectionCounters& down() const;
  // How late the thread woke from its timed waits (the scheduling delay it saw).
  const LatenessStats& wake_late() const;
  // CPU time (user + system) consumed by the emulator thread so far, including the receiving
  // kernel's protocol processing that a TUN write runs synchronously in this thread.
  double thread_cpu_seconds() const;
  nlohmann::json counters_json() const;
  std::uint64_t ring_bytes(bool up) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace chunkbench::netem
