#pragma once
// Per-request figures of every HTTP transfer (one record per attempt, retries included), kept so
// that `extract --json` can summarise them and the benchmark/report code can read them raw.
// Thread-safe: several fetchers may record into one FetchStats.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace chunkbench {

struct RequestRecord {
  std::string url;
  std::string method;           // GET or HEAD
  std::uint64_t range_first = 0, range_length = 0;  // range_length 0: no Range header
  double start = 0;             // seconds since the FetchStats epoch: handle added to the multi
  double sent = -1;             // the request went out on its connection (-1: never)
  double first_byte = -1;       // first response byte (-1: none)
  // Seconds between start and sent that this request spent waiting (for a stream slot, a connection
  // another request opened, the window): sent - start minus the handshakes it made itself.
  double queue = 0;
  double end = 0;               // transfer finished (or failed)
  std::uint64_t bytes = 0;      // body bytes received
  std::string protocol;         // "1.1", "2", "" when no response came
  bool reused = false;          // no new connection was opened for it (CURLINFO_NUM_CONNECTS == 0)
  long connects = 0;            // connections this transfer opened
  unsigned attempt = 0;         // 0 for the first try, k for the k-th retry
  long status = 0;              // HTTP status, 0 on a transport error
  std::string error;            // curl's message on a transport error or the reason of a rejection
};

struct LatencySummary {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
};

struct FetchSummary {
  std::uint64_t requests = 0;  // attempts, retries included
  std::uint64_t retries = 0;
  std::uint64_t failed = 0;    // attempts that ended in a transport error or a 5xx
  std::uint64_t bytes = 0;     // body bytes over the network
  std::uint64_t connections = 0;
  std::map<std::string, std::uint64_t> protocols;  // "2" -> requests
  LatencySummary request_seconds, ttfb_seconds;  // ttfb: from the request going out to its first byte
  LatencySummary queue_seconds;                  // waiting before the request went out
  double wall_seconds = 0;     // first start to last end
};

class FetchStats {
 public:
  FetchStats();
  // `on_add` sees every record as it is added (under the lock: keep it short).
  explicit FetchStats(std::function<void(const RequestRecord&)> on_add);
  // Seconds since this object was created (steady clock), the time base of every record.
  double now() const;
  void add(RequestRecord r);
  std::vector<RequestRecord> records() const;
  FetchSummary summary() const;
  // JSON text {"schema": "chunkbench.requests/1", "records": [...]}, one object per attempt (text, so that this header
  // does not impose a JSON library on its users).
  std::string records_json() const;

 private:
  std::int64_t epoch_ns_;
  std::function<void(const RequestRecord&)> on_add_;
  mutable std::mutex mu_;
  std::vector<RequestRecord> records_;
};

}  // namespace chunkbench
