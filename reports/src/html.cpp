#include "chunkbench/reports/html.hpp"

#include <map>
#include <set>

#include "charts.hpp"
#include "chunkbench/reports/gnuplot.hpp"
#include "chunkbench/reports/summary.hpp"
#include "text.hpp"

namespace chunkbench::reports {

namespace {

using text::xml_escape;

constexpr const char* kStyle = R"(
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 16px 24px; color: #222; max-width: 1320px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 24px 0 6px; border-bottom: 1px solid #ccc; }
h3 { font-size: 15px; margin: 18px 0 6px; } p.lead { margin: 0 0 12px; color: #555; }
figure.chart { margin: 0 0 18px; width: 1300px; } figure.chart svg { display: block; width: 1300px; height: auto; }
figcaption { font-size: 13px; color: #555; margin-top: 2px; }
table { border-collapse: collapse; font-size: 13px; margin-bottom: 10px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; white-space: nowrap; } th { background: #f3f3f3; }
td.err { white-space: normal; text-align: left; max-width: 320px; font-size: 12px; }
td.l, th.l { text-align: left; } tr.peer td { color: #555; font-style: italic; } tr.failed td { background: #fde8e8; }
td.best { font-weight: bold; } .eff { display: inline-block; height: 9px; background: #0072B2; vertical-align: middle; margin-right: 4px; }
)";

std::string cell_row(const CellSummary& s, bool best) {
  const auto& c = s.cell;
  const bool peer = c.tool != "chunkbench";
  std::string time = s.failed() ? "failed" : (s.lower_bound ? "&ge; " : "") + xml_escape(text::seconds(s.wall_seconds));
  const int bar = static_cast<int>(std::min(1.0, s.efficiency) * 60);
  return text::format(
      "<tr class=\"%s\"><td class=\"l\">%s%s</td><td class=\"l\">%s</td><td class=\"l\">%s</td><td>%s</td>"
      "<td class=\"l\">%s</td><td class=\"%s\">%s</td><td>%s &ndash; %s</td><td class=\"l\"><span class=\"eff\" "
      "style=\"width:%dpx\"></span>%.2f</td><td>%s</td><td>%s</td><td>%.0f</td><td>%.0f</td><td>%s</td><td>%d/%d</td>"
      "<td class=\"err\">%s</td></tr>\n",
      s.any_failed() ? "failed" : peer ? "peer" : "", xml_escape(c.tool).c_str(),
      xml_escape(s.ab_side.empty() ? "" : " (" + s.ab_side + ")").c_str(), xml_escape(protocol_label(c.protocol)).c_str(),
      xml_escape(c.chunk).c_str(), peer ? "-" : xml_escape(in_flight_label(c.in_flight)).c_str(), xml_escape(c.mode).c_str(),
      best ? "best" : "", time.c_str(), xml_escape(text::seconds(s.wall_min)).c_str(),
      xml_escape(text::seconds(s.wall_max)).c_str(), bar, s.efficiency, xml_escape(text::seconds(s.t_limit_seconds)).c_str(),
      xml_escape(text::bytes(s.wire_bytes)).c_str(), s.requests, s.connections_opened,
      xml_escape(text::seconds(s.client_cpu_seconds)).c_str(), s.measured, s.repetitions,
      xml_escape(s.error).c_str());
}

std::string tables(const std::vector<CellSummary>& cells) {
  std::string out = "<h2>Tables (median of repetitions)</h2>\n";
  std::map<std::pair<std::string, std::string>, std::vector<const CellSummary*>> groups;
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& s : cells) {
    std::pair key{s.cell.scenario, s.cell.case_};
    if (!groups.count(key)) order.push_back(key);
    groups[key].push_back(&s);
  }
  for (const auto& key : order) {
    std::map<std::string, const CellSummary*> best;  // fastest chunkbench cell per chunk size
    for (const auto* s : groups[key])
      if (s->cell.tool == "chunkbench" && !s->failed() &&
          (!best[s->cell.chunk] || s->wall_seconds < best[s->cell.chunk]->wall_seconds))
        best[s->cell.chunk] = s;
    out += text::format("<h3>%s, scenario <code>%s</code></h3>\n", key.second == "update" ? "Update" : "Full download",
                        xml_escape(key.first).c_str());
    out += "<table><tr><th class=\"l\">tool</th><th class=\"l\">protocol</th><th class=\"l\">chunk KiB</th>"
           "<th>in flight</th><th class=\"l\">mode</th><th>time</th><th>min &ndash; max</th><th class=\"l\">efficiency"
           "</th><th>T_limit</th><th>wire</th><th>requests</th><th>conns</th><th>client CPU</th><th>reps</th>"
           "<th class=\"l\">error</th></tr>\n";
    for (const auto* s : groups[key]) out += cell_row(*s, best[s->cell.chunk] == s);
    out += "</table>\n";
  }
  return out;
}

// Every distinct value of each metadata field over the run (one value when the run was uniform).
std::string metadata(const std::vector<Result>& results) {
  std::map<std::string, std::set<std::string>> values;
  for (const auto& r : results) {
    const auto& m = r.metadata;
    values["matrix"].insert(r.matrix);
    values["kernel"].insert(m.kernel);
    values["link backend"].insert(m.link_backend);
    values["congestion control"].insert(m.congestion_control);
    values["git revision"].insert(m.git_revision);
    values["CPU"].insert(m.cpu_model + " (" + std::to_string(m.cpu_count) + " CPUs)");
    values["host"].insert(m.host);
    values["started at"].insert(m.started_at);
    for (const auto& [k, v] : m.versions) values["version of " + k].insert(v);
    for (const auto& [k, v] : m.sysctls) values["sysctl " + k].insert(v);
    if (!r.rate_source.empty()) values["rate source"].insert(r.rate_source);
  }
  std::string out = "<h2>Metadata</h2>\n<table>\n";
  for (const auto& [k, vs] : values) {
    std::string joined;
    for (const auto& v : vs) joined += (joined.empty() ? "" : "<br>") + xml_escape(v.empty() ? "-" : v);
    out += "<tr><th class=\"l\">" + xml_escape(k) + "</th><td class=\"l\">" + joined + "</td></tr>\n";
  }
  return out + "</table>\n";
}

}  // namespace

std::string render_html(const std::vector<Result>& results, const HtmlOptions& o) {
  auto cells = summarize(results);
  sort_for_display(cells);
  const std::string matrix = results.empty() ? "(no results)" : results.front().matrix;
  const std::string title = o.title.empty() ? "chunkbench report: " + matrix : o.title;
  int failed = 0;
  for (const auto& s : cells) failed += s.any_failed();
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + xml_escape(title) +
                    "</title>\n<style>" + kStyle + "</style></head>\n<body>\n<h1>" + xml_escape(title) + "</h1>\n";
  std::string sources;
  for (const auto& s : o.sources) sources += (sources.empty() ? "" : ", ") + xml_escape(s);
  out += text::format("<p class=\"lead\">%zu cells, %zu results, %d cells with a failed repetition%s%s. Times are medians of repetitions; "
                      "efficiency = T_limit / T with T_limit = wire bytes / link rate + 3 &times; RTT.</p>\n",
                      cells.size(), results.size(), failed, sources.empty() ? "" : " &middot; from ", sources.c_str());
  for (const auto& f : charts::figures(cells)) {
    out += "<figure class=\"chart\" id=\"" + xml_escape(f.id) + "\">\n" + gnuplot_svg(f.script, o.gnuplot) +
           "\n<figcaption>" + xml_escape(f.caption) + "</figcaption></figure>\n";
  }
  out += tables(cells);
  out += metadata(results);
  return out + "</body></html>\n";
}

}  // namespace chunkbench::reports
