#include "chunkbench/reports/formats.hpp"
#include "chunkbench/reports/summary.hpp"
#include "text.hpp"

namespace chunkbench::reports {

std::string render_junit(const std::vector<Result>& results) {
  auto cells = summarize(results);
  sort_for_display(cells);
  int failures = 0, skipped = 0;
  double total = 0;
  std::string cases;
  for (const auto& s : cells) {
    const auto& c = s.cell;
    const std::string classname = "chunkbench." + s.matrix + "." + c.scenario + "." + c.case_;
    const std::string name = s.ab_side.empty() ? s.cell_id : s.cell_id + " (" + s.ab_side + ")";
    total += s.wall_seconds;
    cases += text::format("    <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\">\n",
                          text::xml_escape(classname).c_str(), text::xml_escape(name).c_str(), s.wall_seconds);
    const bool peer = c.tool != "chunkbench";
    if (s.any_failed() || (s.status == "timeout" && !peer)) {
      ++failures;
      const std::string msg = s.status == "timeout" ? "hit the time cap" : s.error.empty() ? s.status : s.error;
      cases += text::format("      <failure message=\"%s\" type=\"%s\"/>\n", text::xml_escape(msg).c_str(),
                            text::xml_escape(s.status).c_str());
    } else if (s.status == "timeout") {
      ++skipped;
      cases += "      <skipped message=\"peer hit the time cap: its time is a lower bound\"/>\n";
    }
    cases += text::format(
        "      <system-out>median of %d/%d repetitions: %.3f s (min %.3f, max %.3f), efficiency %.3f, wire bytes "
        "%.0f</system-out>\n",
        s.measured, s.repetitions, s.wall_seconds, s.wall_min, s.wall_max, s.efficiency, s.wire_bytes);
    cases += "    </testcase>\n";
  }
  const std::string suite = "chunkbench bench " + (cells.empty() ? std::string() : cells.front().matrix);
  return text::format(
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"%zu\" failures=\"%d\" skipped=\"%d\" "
             "time=\"%.3f\">\n  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%d\" errors=\"0\" skipped=\"%d\" "
             "time=\"%.3f\">\n",
             cells.size(), failures, skipped, total, text::xml_escape(suite).c_str(), cells.size(), failures, skipped,
             total) +
         cases + "  </testsuite>\n</testsuites>\n";
}

}  // namespace chunkbench::reports
