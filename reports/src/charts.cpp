#include "charts.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

#include "chunkbench/reports/stats.hpp"
#include "text.hpp"

namespace chunkbench::reports::charts {

namespace {

constexpr int kWidth = 1300;
constexpr int kRowHeight = 330;

struct Series {
  std::string label;
  std::string style;               // gnuplot "lc rgb ... dt ... pt ..."
  std::map<int, double> points;    // x index -> y
  double level = NAN;              // a peer drawn as a horizontal line across the panel
};

struct Panel {
  std::string title, ylabel;
  bool log_y = false, efficiency = false;
  std::vector<std::string> xtics;
  std::string xlabel;
  std::vector<Series> series;
};

// One colour per tool and protocol everywhere; the chunk size picks the dash and the point shape.
std::string style(const Cell& c, int chunk_index, bool line_only) {
  const char* colour = c.tool == "casync" ? "#009E73" : c.tool == "bare" ? "#555555"
                       : c.protocol == "2" ? "#0072B2" : "#D55E00";
  const int dash = line_only ? 2 : 1 + (chunk_index % 2) * 4;
  const int point = std::array{7, 5, 9, 13}[static_cast<std::size_t>(chunk_index) % 4];
  return text::format("lc rgb '%s' lw 2 dt %d pt %d ps 1.1", colour, dash, point);
}

std::string gp_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return out + "\"";
}

std::string panel_script(const Panel& p, int index) {
  std::string s;
  std::string plots;
  double max_y = 0;
  for (std::size_t i = 0; i < p.series.size(); ++i) {
    const auto& se = p.series[i];
    if (!std::isnan(se.level)) {
      plots += text::format("%s%.9g with lines %s title %s", plots.empty() ? "" : ", ", se.level, se.style.c_str(),
                            gp_string(se.label).c_str());
      max_y = std::max(max_y, se.level);
      continue;
    }
    if (se.points.empty()) continue;
    const auto block = text::format("$p%d_%zu", index, i);
    s += block + " << EOD\n";
    for (const auto& [x, y] : se.points) {
      s += text::format("%d %.9g\n", x, y);
      max_y = std::max(max_y, y);
    }
    s += "EOD\n";
    plots += text::format("%s%s using 1:2 with linespoints %s title %s", plots.empty() ? "" : ", ", block.c_str(),
                          se.style.c_str(), gp_string(se.label).c_str());
  }
  s += "set title " + gp_string(p.title) + " font ',12'\nset ylabel " + gp_string(p.ylabel) + "\n";
  s += "set xlabel " + gp_string(p.xlabel) + "\n";
  std::string tics;
  for (std::size_t i = 0; i < p.xtics.size(); ++i)
    tics += text::format("%s%s %zu", i ? ", " : "", gp_string(p.xtics[i]).c_str(), i);
  s += "set xtics (" + tics + ")\n";
  s += text::format("set xrange [-0.3:%g]\n", static_cast<double>(p.xtics.size()) - 0.7);
  s += p.log_y ? "set logscale y\nset yrange [*:*]\n" : "unset logscale y\n";
  s += "unset arrow\n";
  if (p.efficiency) {
    s += text::format("set yrange [0:%g]\n", std::max(1.05, max_y * 1.1));
    s += "set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 3 lc rgb '#999999'\n";
  }
  // Outside the plot, in every panel: a key never hides a point, and the rows' x axes stay aligned.
  s += "set key outside right top vertical Left reverse font ',9' samplen 2.5 spacing 0.9 width -2\n";
  if (plots.empty()) {
    s += "set yrange [0:1]\nunset logscale y\nset label 1 'no cells' at graph 0.5, graph 0.5 center\n"
         "plot NaN notitle\nunset label 1\n";
    return s;
  }
  return s + "plot " + plots + "\n";
}

std::string figure_script(const std::string& title, const std::vector<Panel>& panels, int rows, int cols, int width,
                          int height) {
  std::string s = text::format(
      "set terminal svg size %d,%d dynamic enhanced font 'DejaVu Sans,11' background rgb 'white'\n"
      "set encoding utf8\nset grid lc rgb '#dddddd'\nset border lc rgb '#444444'\nset datafile missing '?'\n"
      "set multiplot layout %d,%d title %s font ',14'\n",
      width, height, rows, cols, gp_string(title).c_str());
  for (std::size_t i = 0; i < panels.size(); ++i) s += panel_script(panels[i], static_cast<int>(i));
  return s + "unset multiplot\n";
}

using Group = std::vector<const CellSummary*>;

const CellSummary* fastest(const Group& cells) {
  const CellSummary* best = nullptr;
  for (const auto* c : cells)
    if (!c->failed() && c->wall_seconds > 0 && (!best || c->wall_seconds < best->wall_seconds)) best = c;
  return best;
}

std::string side_suffix(const std::string& ab_side) { return ab_side.empty() ? "" : " (" + ab_side + ")"; }

template <class T>
int index_of(const std::vector<T>& v, const T& x) {
  return static_cast<int>(std::find(v.begin(), v.end(), x) - v.begin());
}

struct CaseData {
  std::string kase;
  std::vector<std::string> scenarios;
  std::vector<std::string> chunks;  // by average size
  std::vector<int> in_flight;       // 0 (library default) last
  std::vector<const CellSummary*> cells;
};

// The two rows (time, efficiency) of one scenario's column for an x axis chosen by `x_of`.
void add_column(std::vector<Panel>& time_row, std::vector<Panel>& eff_row, const CaseData& d,
                const std::string& scenario, bool by_chunk) {
  Panel t, e;
  t.title = "scenario " + scenario;
  t.ylabel = "time (s, log)";
  t.log_y = true;
  e.title = "";
  e.ylabel = "efficiency (T_limit / T)";
  e.efficiency = true;
  t.xlabel = e.xlabel = by_chunk ? "chunk size (avg), fastest setting per point" : "requests in flight";
  if (by_chunk)
    for (const auto& c : d.chunks) t.xtics.push_back(chunk_label(c));
  else
    for (int n : d.in_flight) t.xtics.push_back(in_flight_label(n));
  e.xtics = t.xtics;
  // Series key -> (x index -> cells there).
  std::map<std::string, std::pair<Cell, std::map<int, Group>>> groups;
  std::map<std::string, Group> peers;
  for (const auto* s : d.cells) {
    if (s->cell.scenario != scenario) continue;
    const auto& c = s->cell;
    if (c.tool == "bare" || (c.tool == "casync" && !by_chunk)) {
      const auto label = series_label(c) + (c.tool == "casync" ? " " + chunk_label(c.chunk) : "") + side_suffix(s->ab_side);
      peers[label].push_back(s);
      continue;
    }
    std::string label = series_label(c) + (by_chunk ? "" : " " + chunk_label(c.chunk)) + side_suffix(s->ab_side);
    if (c.tool == "casync") label = "casync" + side_suffix(s->ab_side);
    auto& g = groups[label];
    g.first = c;
    g.second[by_chunk ? index_of(d.chunks, c.chunk) : index_of(d.in_flight, c.in_flight)].push_back(s);
  }
  for (const auto& [label, g] : groups) {
    const int chunk_i = by_chunk ? 0 : index_of(d.chunks, g.first.chunk);
    Series st{label, style(g.first, chunk_i, false), {}, NAN}, se = st;
    for (const auto& [x, cells] : g.second)
      if (const auto* best = fastest(cells)) {
        st.points[x] = best->wall_seconds;
        se.points[x] = best->efficiency;
      }
    t.series.push_back(st);
    e.series.push_back(se);
  }
  for (const auto& [label, cells] : peers)
    if (const auto* best = fastest(cells)) {
      const int chunk_i = index_of(d.chunks, best->cell.chunk);
      const auto lb = best->lower_bound ? " (>=, time cap)" : "";
      t.series.push_back({label + lb, style(best->cell, chunk_i, true), {}, best->wall_seconds});
      e.series.push_back({label + lb, style(best->cell, chunk_i, true), {}, best->efficiency});
    }
  time_row.push_back(std::move(t));
  eff_row.push_back(std::move(e));
}

Figure versus(const CaseData& d, bool by_chunk) {
  std::vector<Panel> time_row, eff_row;
  for (const auto& scenario : d.scenarios) add_column(time_row, eff_row, d, scenario, by_chunk);
  std::vector<Panel> panels = time_row;
  panels.insert(panels.end(), eff_row.begin(), eff_row.end());
  Figure f;
  f.id = d.kase + (by_chunk ? "-chunk" : "-in-flight");
  f.title = (d.kase == "update" ? "Update" : "Full download") +
            std::string(by_chunk ? ": time and efficiency vs chunk size" : ": time and efficiency vs requests in flight");
  f.caption = by_chunk ? "Each point is the fastest requests-in-flight setting for that chunk size and protocol "
                         "(median of repetitions). casync is drawn per chunk size; the bare transfer (protocol ceiling) "
                         "is the dashed grey line. Efficiency 1 is the physical limit."
                       : "One line per protocol and chunk size (median of repetitions). Dashed lines are peers: casync "
                         "per chunk size and the bare transfer of the same bytes. Efficiency 1 is the physical limit.";
  f.width = kWidth;
  f.height = 2 * kRowHeight + 40;
  f.script = figure_script(f.title, panels, 2, static_cast<int>(d.scenarios.size()), f.width, f.height);
  return f;
}

// Median wire bytes per chunk size and tool/protocol over every scenario: what an update downloads.
Figure bytes_figure(const CaseData& d) {
  std::vector<std::string> series;
  std::map<std::string, Cell> series_cell;
  std::map<std::pair<std::string, std::string>, std::vector<double>> values;
  for (const auto* s : d.cells) {
    if (s->failed() || s->cell.tool == "bare") continue;
    const auto label = series_label(s->cell) + side_suffix(s->ab_side);
    if (!series_cell.count(label)) series.push_back(label);
    series_cell[label] = s->cell;
    values[{s->cell.chunk, label}].push_back(s->wire_bytes / 1e6);
  }
  std::string s = text::format(
      "set terminal svg size %d,%d dynamic enhanced font 'DejaVu Sans,11' background rgb 'white'\n"
      "set encoding utf8\nset grid ytics lc rgb '#dddddd'\nset datafile missing '?'\n"
      "set title 'Update: megabytes downloaded (on the wire) per chunk size' font ',14'\n"
      "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
      "set boxwidth 0.9\nset yrange [0:*]\nset ylabel 'MB on the wire (median)'\nset xlabel 'chunk size (avg)'\n"
      "set key top right opaque box lc rgb '#cccccc'\n$bytes << EOD\n",
      kWidth, kRowHeight + 60);
  for (const auto& chunk : d.chunks) {
    s += gp_string(chunk_label(chunk));
    for (const auto& label : series) {
      auto it = values.find({chunk, label});
      s += it == values.end() ? " ?" : text::format(" %.6g", median(it->second));
    }
    s += "\n";
  }
  s += "EOD\nplot ";
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& c = series_cell[series[i]];
    const char* colour = c.tool == "casync" ? "#009E73" : c.protocol == "2" ? "#0072B2" : "#D55E00";
    s += text::format("%s$bytes using %zu%s lc rgb '%s' title %s", i ? ", " : "", i + 2, i ? "" : ":xtic(1)", colour,
                      gp_string(series[i]).c_str());
  }
  if (series.empty()) s += "NaN notitle";
  Figure f;
  f.id = "update-bytes";
  f.title = "Update: bytes downloaded per chunk size";
  f.caption = "Median bytes on the wire over all scenarios and settings of each tool and protocol.";
  f.width = kWidth;
  f.height = kRowHeight + 60;
  f.script = s + "\n";
  return f;
}

}  // namespace

std::vector<Figure> figures(const std::vector<CellSummary>& cells) {
  std::vector<Figure> out;
  for (const char* kase : {"full", "update"}) {
    CaseData d;
    d.kase = kase;
    std::set<int> in_flight;
    std::map<double, std::set<std::string>> chunks;
    for (const auto& s : cells) {
      if (s.cell.case_ != kase) continue;
      d.cells.push_back(&s);
      if (std::find(d.scenarios.begin(), d.scenarios.end(), s.cell.scenario) == d.scenarios.end())
        d.scenarios.push_back(s.cell.scenario);
      chunks[chunk_avg_kib(s.cell.chunk)].insert(s.cell.chunk);
      if (s.cell.tool == "chunkbench") in_flight.insert(s.cell.in_flight);
    }
    if (d.cells.empty()) continue;
    for (const auto& [kib, names] : chunks) d.chunks.insert(d.chunks.end(), names.begin(), names.end());
    for (int n : in_flight)
      if (n) d.in_flight.push_back(n);
    if (in_flight.count(0)) d.in_flight.push_back(0);
    if (!d.in_flight.empty()) out.push_back(versus(d, false));
    out.push_back(versus(d, true));
    if (d.kase == "update") out.push_back(bytes_figure(d));
  }
  return out;
}

}  // namespace chunkbench::reports::charts
