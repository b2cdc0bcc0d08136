#include "chunkbench/reports/summary.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <tuple>

#include "chunkbench/reports/stats.hpp"

namespace chunkbench::reports {

namespace {

int severity(const std::string& status) { return status == "failed" ? 2 : status == "timeout" ? 1 : 0; }

CellSummary summarize_cell(const std::vector<const Result*>& reps) {
  CellSummary s;
  const Result& first = *reps.front();
  s.matrix = first.matrix;
  s.cell_id = first.cell_id;
  s.ab_side = first.metadata.ab_side;
  s.cell = first.cell;
  s.status = "ok";
  std::vector<double> wall, eff, limit, cpu, wire, payload, requests, conns;
  for (const Result* r : reps) {
    ++s.repetitions;
    if (severity(r->status) > severity(s.status)) s.status = r->status;
    if (!r->ok() && s.error.empty()) s.error = r->error;
    if (r->status == "failed") continue;
    ++s.measured;
    s.lower_bound |= r->lower_bound || r->status == "timeout";
    wall.push_back(r->wall_seconds);
    eff.push_back(r->efficiency);
    limit.push_back(r->t_limit_seconds);
    cpu.push_back(r->client_cpu_seconds);
    wire.push_back(static_cast<double>(r->wire_bytes));
    payload.push_back(static_cast<double>(r->payload_bytes));
    requests.push_back(static_cast<double>(r->requests));
    conns.push_back(static_cast<double>(r->connections_opened));
    if (s.protocol_negotiated.empty()) s.protocol_negotiated = r->protocol_negotiated;
  }
  s.wall_seconds = median(wall);
  if (!wall.empty()) {
    s.wall_min = *std::min_element(wall.begin(), wall.end());
    s.wall_max = *std::max_element(wall.begin(), wall.end());
  }
  s.efficiency = median(eff);
  s.t_limit_seconds = median(limit);
  s.client_cpu_seconds = median(cpu);
  s.wire_bytes = median(wire);
  s.payload_bytes = median(payload);
  s.requests = median(requests);
  s.connections_opened = median(conns);
  return s;
}

}  // namespace

std::vector<CellSummary> summarize(const std::vector<Result>& results) {
  std::map<std::pair<std::string, std::string>, std::vector<const Result*>> groups;
  for (const auto& r : results) groups[{r.cell_id, r.metadata.ab_side}].push_back(&r);
  std::vector<CellSummary> out;
  out.reserve(groups.size());
  for (const auto& [key, reps] : groups) out.push_back(summarize_cell(reps));
  return out;
}

bool display_before(const CellSummary& a, const CellSummary& b) {
  auto tool_rank = [](const std::string& t) { return t == "chunkbench" ? 0 : t == "casync" ? 1 : 2; };
  // "none" (plain loopback) first; "full" before "update".
  auto key = [&](const CellSummary& s) {
    const auto& c = s.cell;
    return std::make_tuple(c.scenario != "none", c.scenario, c.case_, tool_rank(c.tool), chunk_avg_kib(c.chunk), c.chunk,
                           c.protocol, c.in_flight, c.connections, c.streams, c.mode, s.ab_side, s.cell_id);
  };
  return key(a) < key(b);
}

void sort_for_display(std::vector<CellSummary>& cells) { std::sort(cells.begin(), cells.end(), display_before); }

double chunk_avg_kib(const std::string& chunk) {
  const auto colon = chunk.find(':');
  const std::string avg = colon == std::string::npos ? chunk : chunk.substr(colon + 1, chunk.find(':', colon + 1) - colon - 1);
  char* end = nullptr;
  const double v = std::strtod(avg.c_str(), &end);
  return end == avg.c_str() ? 0 : v;
}

std::string chunk_label(const std::string& chunk) {
  const double kib = chunk_avg_kib(chunk);
  if (kib <= 0) return chunk.empty() ? "-" : chunk;
  char buf[32];
  if (kib >= 1024)
    std::snprintf(buf, sizeof buf, "%gM", kib / 1024);
  else
    std::snprintf(buf, sizeof buf, "%gK", kib);
  return buf;
}

std::string protocol_label(const std::string& protocol) { return protocol == "2" ? "h2" : "h" + protocol; }

std::string in_flight_label(int in_flight) { return in_flight == 0 ? "default" : std::to_string(in_flight); }

std::string series_label(const Cell& c) {
  if (c.tool == "casync") return "casync";
  return c.tool + " " + protocol_label(c.protocol);
}

}  // namespace chunkbench::reports
