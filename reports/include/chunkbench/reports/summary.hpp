#pragma once
// A cell's value in every report: the median over its repetitions.
#include <string>
#include <vector>

#include "chunkbench/reports/result.hpp"

namespace chunkbench::reports {

struct CellSummary {
  std::string matrix, cell_id, ab_side;
  Cell cell;
  int repetitions = 0;     // results read for this cell
  int measured = 0;        // of which usable: ok, or timed out (then a lower bound)
  std::string status;      // the worst repetition: "failed", then "timeout", then "ok"
  std::string error;       // the first failure's message
  bool lower_bound = false;  // a timed-out repetition is in the median: the true time is longer
  // Medians over the usable repetitions (0 when there are none).
  double wall_seconds = 0, wall_min = 0, wall_max = 0;
  double efficiency = 0, t_limit_seconds = 0, client_cpu_seconds = 0;
  double wire_bytes = 0, payload_bytes = 0, requests = 0, connections_opened = 0;
  std::string protocol_negotiated;

  // No usable repetition: the cell has no time at all.
  bool failed() const { return measured == 0; }
  // Some repetition failed (the others may still give a time).
  bool any_failed() const { return status == "failed" || measured == 0; }
};

// One summary per (cell_id, ab_side), in key order.
std::vector<CellSummary> summarize(const std::vector<Result>& results);

// The order every table uses: scenario, case, tool (chunkbench, casync, bare), chunk size, protocol,
// requests in flight, then the rest of the cell.
bool display_before(const CellSummary& a, const CellSummary& b);
void sort_for_display(std::vector<CellSummary>& cells);

// Short axis labels shared by every output: "64K" / "2M" for the chunk's average size, "h1.1" / "h2",
// "default" for in-flight 0, and a series name ("chunkbench h2", "casync", "bare h2").
std::string chunk_label(const std::string& chunk);
double chunk_avg_kib(const std::string& chunk);  // 0 when unparsable
std::string protocol_label(const std::string& protocol);
std::string in_flight_label(int in_flight);
std::string series_label(const Cell& c);

}  // namespace chunkbench::reports
