#include "stats.hpp"

#include <nlohmann/json.hpp>

namespace chunkbench::server {

const char* protocol_name(Protocol p) noexcept { return p == Protocol::h2 ? "h2" : "http/1.1"; }

Stats::Stats() : started_(std::chrono::steady_clock::now()) {}

std::string Stats::to_json() const {
  static const char* const kFaultNames[kFaults] = {"http_5xx", "reset", "stall", "corrupt", "slow_body",
                                                   "response_delay"};
  nlohmann::json j;
  j["version"] = 1;
  j["uptime_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  j["connections_open"] = open_.load(rl);
  j["tls_handshake_failures"] = handshake_failures_.load(rl);
  std::uint64_t requests = 0, bytes = 0, connections = 0;
  for (int i = 0; i < kProtocols; ++i) {
    const auto& c = per_[i];
    nlohmann::json p;
    p["connections"] = c.connections.load(rl);
    p["requests"] = c.requests.load(rl);
    p["body_bytes"] = c.body_bytes.load(rl);
    for (int s = 0; s < 5; ++s) p["status"][std::to_string(s + 1) + "xx"] = c.status[s].load(rl);
    j["protocols"][protocol_name(static_cast<Protocol>(i))] = p;
    requests += c.requests.load(rl);
    bytes += c.body_bytes.load(rl);
    connections += c.connections.load(rl);
  }
  j["total"] = {{"connections", connections}, {"requests", requests}, {"body_bytes", bytes}};
  for (int f = 0; f < kFaults; ++f) j["faults"][kFaultNames[f]] = faults_[f].load(rl);
  return j.dump(2) + "\n";
}

}  // namespace chunkbench::server
