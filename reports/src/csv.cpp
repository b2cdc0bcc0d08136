#include <cstdio>

#include "chunkbench/reports/formats.hpp"

namespace chunkbench::reports {

namespace {

std::string field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

std::string render_csv(const std::vector<Result>& results) {
  std::string out =
      "matrix,cell_id,repetition,ab_side,tool,case,chunk,protocol,in_flight,connections,streams,mode,scenario,"
      "status,lower_bound,wall_seconds,efficiency,t_limit_seconds,wire_bytes,payload_bytes,requests,"
      "connections_opened,protocol_negotiated,client_cpu_seconds,client_peak_rss_bytes,rtt_seconds,"
      "rate_bytes_per_second,rate_source,error\r\n";
  for (const auto& r : results) {
    const auto& c = r.cell;
    const std::string cols[] = {field(r.matrix), field(r.cell_id), std::to_string(r.repetition),
                                field(r.metadata.ab_side), field(c.tool), field(c.case_), field(c.chunk),
                                field(c.protocol), std::to_string(c.in_flight), std::to_string(c.connections),
                                std::to_string(c.streams), field(c.mode), field(c.scenario), field(r.status),
                                r.lower_bound ? "true" : "false", num(r.wall_seconds), num(r.efficiency),
                                num(r.t_limit_seconds), std::to_string(r.wire_bytes), std::to_string(r.payload_bytes),
                                std::to_string(r.requests), std::to_string(r.connections_opened),
                                field(r.protocol_negotiated), num(r.client_cpu_seconds),
                                std::to_string(r.client_peak_rss_bytes), num(r.rtt_seconds),
                                num(r.rate_bytes_per_second), field(r.rate_source), field(r.error)};
    bool first = true;
    for (const auto& col : cols) {
      if (!first) out += ',';
      out += col;
      first = false;
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace chunkbench::reports
