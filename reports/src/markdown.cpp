#include <map>
#include <set>

#include "chunkbench/reports/formats.hpp"
#include "chunkbench/reports/summary.hpp"
#include "text.hpp"

namespace chunkbench::reports {

namespace {

std::string md_cell(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : c == '\n' ? std::string(" ") : std::string(1, c);
  return out;
}

std::string time_text(const CellSummary& s) {
  if (s.failed()) return "failed";
  return (s.lower_bound ? ">= " : "") + text::seconds(s.wall_seconds);
}

// "64K: chunkbench h2, 32 in flight, 1.2 s (eff 0.74), 1.8x faster than casync (2.2 s)"
std::string winners(const std::vector<const CellSummary*>& group) {
  // Keyed by (average KiB, chunk) so 64K comes before 2M.
  using ChunkKey = std::pair<double, std::string>;
  std::map<ChunkKey, const CellSummary*> best, casync;
  for (const auto* s : group) {
    if (s->failed() || s->cell.tool == "bare") continue;
    auto& slot = (s->cell.tool == "casync" ? casync : best)[{chunk_avg_kib(s->cell.chunk), s->cell.chunk}];
    if (!slot || s->wall_seconds < slot->wall_seconds) slot = s;
  }
  std::string out;
  for (const auto& [chunk, s] : best) {
    out += text::format("- fastest at %s chunks: %s, %s in flight, %s (efficiency %.2f)", chunk_label(chunk.second).c_str(),
                        series_label(s->cell).c_str(), in_flight_label(s->cell.in_flight).c_str(),
                        text::seconds(s->wall_seconds).c_str(), s->efficiency);
    auto it = casync.find(chunk);
    if (it != casync.end() && it->second && s->wall_seconds > 0)
      out += text::format("; casync %s%s (%.2fx that time)", it->second->lower_bound ? ">= " : "",
                          text::seconds(it->second->wall_seconds).c_str(), it->second->wall_seconds / s->wall_seconds);
    out += "\n";
  }
  return out;
}

std::string metadata_line(const Result& r) {
  const auto& m = r.metadata;
  std::string versions;
  for (const auto& [k, v] : m.versions) versions += (versions.empty() ? "" : ", ") + k + " " + v;
  return text::format("Run on %s (%d CPUs), kernel %s, link %s, congestion control %s, git %s; %s.\n",
                      m.cpu_model.empty() ? "?" : m.cpu_model.c_str(), m.cpu_count, m.kernel.c_str(),
                      m.link_backend.empty() ? "-" : m.link_backend.c_str(),
                      m.congestion_control.empty() ? "-" : m.congestion_control.c_str(),
                      m.git_revision.empty() ? "-" : m.git_revision.c_str(), versions.c_str());
}

}  // namespace

std::string render_markdown(const std::vector<Result>& results) {
  auto cells = summarize(results);
  sort_for_display(cells);
  int failed = 0;
  for (const auto& s : cells) failed += s.any_failed();
  std::string out = text::format("## chunkbench bench: %s\n\n%zu cells, %zu results, %d cells with a failed repetition.\n",
                                 results.empty() ? "(no results)" : md_cell(results.front().matrix).c_str(),
                                 cells.size(), results.size(), failed);
  if (!results.empty()) out += metadata_line(results.front());
  std::map<std::pair<std::string, std::string>, std::vector<const CellSummary*>> groups;
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& s : cells) {
    auto key = std::make_pair(s.cell.scenario, s.cell.case_);
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&s);
  }
  for (const auto& key : order) {
    out += text::format("\n### %s, scenario `%s`\n\n", key.second == "update" ? "Update" : "Full download",
                        md_cell(key.first).c_str());
    out += "| tool | protocol | chunk | in flight | mode | time (median) | efficiency | wire | requests | reps |\n";
    out += "|---|---|---|--:|---|--:|--:|--:|--:|--:|\n";
    for (const auto* s : groups[key]) {
      const auto& c = s->cell;
      out += text::format("| %s%s | %s | %s | %s | %s | %s | %.2f | %s | %.0f | %d/%d |\n", md_cell(c.tool).c_str(),
                          s->ab_side.empty() ? "" : (" (" + s->ab_side + ")").c_str(),
                          protocol_label(c.protocol).c_str(), md_cell(c.chunk).c_str(),
                          c.tool == "chunkbench" ? in_flight_label(c.in_flight).c_str() : "-", md_cell(c.mode).c_str(),
                          time_text(*s).c_str(), s->efficiency, text::bytes(s->wire_bytes).c_str(), s->requests,
                          s->measured, s->repetitions);
    }
    out += "\n" + winners(groups[key]);
  }
  std::string failures;
  for (const auto& s : cells)
    if (s.any_failed())
      failures += "- `" + s.cell_id + "`: " + md_cell(s.error.empty() ? "no repetition finished" : s.error) + "\n";
  if (!failures.empty()) out += "\n### Failed cells\n\n" + failures;
  return out;
}

}  // namespace chunkbench::reports
