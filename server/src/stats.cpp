#include "stats.hpp"

#include <nlohmann/json.hpp>

namespace chunkbench::server {

const char* protocol_name(Protocol p) noexcept { return p == Protocol::h2 ? "h2" : "http/1.1"; }

Stats::Stats(const TlsRecordOptions& records) : started_(std::chrono::steady_clock::now()), records_(records) {}

std::string Stats::to_json() const {
  static const char* const kFaultNames[kFaults] = {"http_5xx", "reset", "stall", "corrupt", "slow_body",
                                                   "response_delay"};
  nlohmann::json j;
  j["schema"] = "chunkbench.serve-stats/1";
  j["uptime_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  j["connections_accepted"] = accepted_.load(rl);
  j["connections_open"] = open_.load(rl);
  j["tls_handshake_failures"] = handshake_failures_.load(rl);
  std::uint64_t requests = 0, bytes = 0, connections = 0;
  for (int i = 0; i < kProtocols; ++i) {
    const auto& c = per_[i];
    nlohmann::json p;
    p["connections"] = c.connections.load(rl);
    p["requests"] = c.requests.load(rl);
    if (static_cast<Protocol>(i) == Protocol::h2) {
      p["streams"] = c.streams.load(rl);
      p["peak_concurrent_streams"] = c.peak_streams.load(rl);
    }
    p["body_bytes"] = c.body_bytes.load(rl);
    for (int s = 0; s < 5; ++s) p["status"][std::to_string(s + 1) + "xx"] = c.status[s].load(rl);
    j["protocols"][protocol_name(static_cast<Protocol>(i))] = p;
    requests += c.requests.load(rl);
    bytes += c.body_bytes.load(rl);
    connections += c.connections.load(rl);
  }
  j["total"] = {{"connections", connections}, {"requests", requests}, {"body_bytes", bytes}};
  j["tls_records"] = {{"mode", records_.dynamic ? "dynamic" : "max"},
                      {"small_record_bytes", records_.small_record},
                      {"boost_after_bytes", records_.boost_after},
                      {"idle_reset_ms", records_.idle_reset_ms},
                      {"small_records", small_records_.load(rl)},
                      {"small_record_plaintext_bytes", small_record_bytes_.load(rl)},
                      {"large_records", large_records_.load(rl)},
                      {"large_record_plaintext_bytes", large_record_bytes_.load(rl)},
                      {"idle_restarts", idle_restarts_.load(rl)}};
  for (int f = 0; f < kFaults; ++f) j["faults"][kFaultNames[f]] = faults_[f].load(rl);
  return j.dump(2) + "\n";
}

}  // namespace chunkbench::server
