#pragma once
// Live counters shared by every event loop. Relaxed atomics: they are read for reporting only, never
// to make a decision, so no ordering between them is needed.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "chunkbench/server/server.hpp"

namespace chunkbench::server {

enum class Protocol { h1 = 0, h2 = 1 };
constexpr int kProtocols = 2;
const char* protocol_name(Protocol p) noexcept;  // ALPN spelling: "http/1.1", "h2"

enum class Fault { http_5xx = 0, reset, stall, corrupt, slow, delay };
constexpr int kFaults = 6;

class Stats {
 public:
  // `records` is reported with the counters, so a run's statistics say how it wrote TLS records.
  explicit Stats(const TlsRecordOptions& records = {});
  void connection_accepted() { accepted_.fetch_add(1, rl); }
  void connection_opened(Protocol p) { per_[idx(p)].connections.fetch_add(1, rl); open_.fetch_add(1, rl); }
  void connection_closed() { open_.fetch_sub(1, rl); }
  void handshake_failed() { handshake_failures_.fetch_add(1, rl); }
  void stream_opened() { per_[idx(Protocol::h2)].streams.fetch_add(1, rl); }
  // The number of streams open at once on one h2 connection; the largest seen is kept.
  void concurrent_streams(std::uint64_t n) {
    auto& peak = per_[idx(Protocol::h2)].peak_streams;
    for (auto cur = peak.load(rl); n > cur && !peak.compare_exchange_weak(cur, n, rl);) {
    }
  }
  void request(Protocol p, int status) {
    auto& c = per_[idx(p)];
    c.requests.fetch_add(1, rl);
    int cls = status / 100;
    if (cls >= 1 && cls <= 5) c.status[cls - 1].fetch_add(1, rl);
  }
  void body_bytes(Protocol p, std::uint64_t n) { per_[idx(p)].body_bytes.fetch_add(n, rl); }
  void fault(Fault f) { faults_[static_cast<int>(f)].fetch_add(1, rl); }
  void tls_records(bool small, std::uint64_t records, std::uint64_t bytes) {
    (small ? small_records_ : large_records_).fetch_add(records, rl);
    (small ? small_record_bytes_ : large_record_bytes_).fetch_add(bytes, rl);
  }
  void tls_idle_restart() { idle_restarts_.fetch_add(1, rl); }
  // The JSON document ("schema": "chunkbench.serve-stats/1") served at /.well-known/chunkbench-stats
  // and written by --stats.
  std::string to_json() const;

 private:
  static constexpr auto rl = std::memory_order_relaxed;
  static int idx(Protocol p) { return static_cast<int>(p); }
  struct PerProtocol {
    std::atomic<std::uint64_t> connections{0}, requests{0}, body_bytes{0}, streams{0}, peak_streams{0};
    std::atomic<std::uint64_t> status[5] = {};
  };
  std::chrono::steady_clock::time_point started_;
  TlsRecordOptions records_;
  PerProtocol per_[kProtocols];
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::int64_t> open_{0};
  std::atomic<std::uint64_t> handshake_failures_{0};
  std::atomic<std::uint64_t> small_records_{0}, large_records_{0}, small_record_bytes_{0}, large_record_bytes_{0},
      idle_restarts_{0};
  std::atomic<std::uint64_t> faults_[kFaults] = {};
};

}  // namespace chunkbench::server
