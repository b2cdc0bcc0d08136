#include "chunkbench/bench/runner.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>

#include "chunkbench/bench/metadata.hpp"
#include "chunkbench/bench/netns_child.hpp"
#include "chunkbench/bench/peers.hpp"
#include "chunkbench/bench/store_cache.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/netem/link.hpp"
#include "chunkbench/netem/scenario.hpp"
#include "chunkbench/netem/topology.hpp"

namespace chunkbench::bench {
namespace {

namespace fs = std::filesystem;

// "client.net.ipv4.tcp_wmem" -> "4096 16384 4194304" from whatever nesting the topology reports.
void flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    return;
  }
  out[prefix] = j.is_string() ? j.get<std::string>() : j.dump();
}

std::string negotiated(const nlohmann::json& server) {
  std::string p;
  if (!server.contains("protocols")) return p;
  for (const auto& [name, s] : server["protocols"].items())
    if (s.value("requests", 0) > 0) p += (p.empty() ? "" : "+") + (name == "http/1.1" ? std::string("http/1.1") : name);
  return p;
}

std::string rate_key(const Cell& c, int rep) { return c.scenario + "|" + c.case_ + "|" + c.chunk + "|" + c.protocol + "|" + std::to_string(rep); }

// Everything one run shares: the images, the stores, the bare transfers' rates.
struct RunState {
  const Matrix& m;
  const RunOptions& o;
  StoreCache cache;
  std::optional<ImagePair> images;
  std::map<std::string, StoreEntry> stores;
  std::map<std::string, double> bare_rate;  // rate_key -> bytes/s measured by the bare transfer
  reports::Metadata host;

  const StoreEntry& store(const std::string& chunk) {
    if (!images) images = cache.images(m.image);
    auto it = stores.find(chunk);
    if (it == stores.end()) it = stores.emplace(chunk, cache.store(*images, chunk)).first;
    return it->second;
  }

  // The bare transfer's rate for the same scenario, case and chunk size: of this protocol and
  // repetition, else of this protocol, else the fastest of any protocol (casync negotiates what
  // its libcurl prefers, and a matrix may run one protocol only).
  std::optional<double> unshaped_rate(const Cell& c, int rep) const {
    if (auto it = bare_rate.find(rate_key(c, rep)); it != bare_rate.end()) return it->second;
    const std::string key = rate_key(c, 0);
    const std::string same_protocol = key.substr(0, key.rfind('|') + 1);
    const std::string same_group = c.scenario + "|" + c.case_ + "|" + c.chunk + "|";
    for (const auto& [k, v] : bare_rate)
      if (k.rfind(same_protocol, 0) == 0) return v;
    std::optional<double> best;
    for (const auto& [k, v] : bare_rate)
      if (k.rfind(same_group, 0) == 0 && (!best || v > *best)) best = v;
    return best;
  }
};

ToolRun run_tool(const CellContext& ctx) {
  if (ctx.cell.tool == "casync") return run_casync(ctx);
  if (ctx.cell.tool == "bare") return run_bare(ctx);
  return run_chunkbench(ctx);
}

// The measurements of a finished tool run into the result; the status says whether it counts.
void record(reports::Result& r, const ToolRun& t, const ImagePair& images, const netem::Scenario& s, double timeout) {
  r.wall_seconds = t.run.wall_seconds;
  r.client_cpu_seconds = t.run.cpu_seconds;
  r.client_peak_rss_bytes = t.run.peak_rss_bytes;
  r.extract = t.extract;
  const auto& total = r.server.contains("total") ? r.server["total"] : nlohmann::json::object();
  r.payload_bytes = total.value("body_bytes", std::uint64_t{0});
  r.requests = total.value("requests", std::uint64_t{0});
  r.connections_opened = total.value("connections", std::uint64_t{0});
  r.protocol_negotiated = t.protocol.empty() ? negotiated(r.server) : t.protocol;
  r.wire_bytes = r.link.contains("down") ? r.link["down"].value("bytes_out", std::uint64_t{0}) : r.payload_bytes;
  if (r.wire_bytes == 0) r.wire_bytes = r.payload_bytes;
  r.rtt_seconds = static_cast<double>(s.base_rtt_ns()) / 1e9;
  if (s.down.rate_bps) {
    r.rate_bytes_per_second = static_cast<double>(s.down.rate_bps) / 8;
    r.rate_source = "scenario";
  }
  if (t.run.timed_out) {
    r.status = "timeout";
    r.lower_bound = true;
    r.wall_seconds = std::max(r.wall_seconds, timeout);
    r.error = "did not finish within the cell's cap of " + std::to_string(static_cast<int>(timeout)) + " s";
    return;
  }
  if (t.run.status != 0) {
    r.status = "failed";
    r.error = "exit status " + std::to_string(t.run.status) + (t.run.error.empty() ? "" : ": " + t.run.error);
    return;
  }
  if (!t.output.empty()) {
    const std::string sum = fs::exists(t.output) ? sha256_file(t.output) : "";
    if (sum != images.v2_sha256) {
      r.status = "failed";
      r.error = sum.empty() ? "no output image " + t.output : "output SHA-256 " + sum + " differs from the expected v2 " + images.v2_sha256;
    }
  }
}

reports::Result run_job(RunState& st, const Job& job) {
  const Cell& cell = job.cell;
  reports::Result r;
  r.matrix = st.m.name;
  r.cell_id = cell_id(cell);
  r.repetition = job.repetition;
  r.cell = cell;
  r.metadata = st.host;
  r.metadata.started_at = utc_now_iso8601();
  r.metadata.ab_side = st.o.ab_side;
  const fs::path work = fs::path(st.o.work_dir) / (r.cell_id + ".r" + std::to_string(job.repetition));
  try {
    const StoreEntry& entry = st.store(cell.chunk);
    const auto s = netem::scenario_from_json(st.m.scenario_defs.at(cell.scenario), st.m.source + ": scenario " + cell.scenario);
    fs::remove_all(work);
    fs::create_directories(work);
    netem::Topology topo(s);
    const auto choice = netem::choose_backend(s, topo, std::nullopt);
    auto link = netem::make_link(choice.backend, topo);
    r.metadata.link_backend = std::string(netem::backend_name(choice.backend)) + ": " + choice.reason;
    r.metadata.sysctls.clear();
    flatten(topo.sysctls(), "", r.metadata.sysctls);
    if (s.sysctls.congestion_control) r.metadata.congestion_control = *s.sysctls.congestion_control;
    ToolRun t;
    {
      ServerChild server(topo.server_path(), netem::Topology::kServerAddr, entry.root, work.string());
      CellContext ctx{cell, entry, *st.images, topo.client_path(), server.url(), server.ca_file(), work.string(), st.m.cell_timeout_seconds,
                      static_cast<double>(s.base_rtt_ns()) / 1e9, static_cast<double>(s.down.rate_bps) / 8};
      t = run_tool(ctx);
      r.server = server.stop();
    }
    r.link = link->counters();
    link.reset();
    topo.teardown();
    record(r, t, *st.images, s, st.m.cell_timeout_seconds);
    if (cell.tool == "bare" && r.ok() && r.wall_seconds > 0)
      st.bare_rate[rate_key(cell, job.repetition)] = static_cast<double>(r.wire_bytes) / r.wall_seconds;
    if (r.rate_source.empty())
      if (auto rate = st.unshaped_rate(cell, job.repetition)) {
        r.rate_bytes_per_second = *rate;
        r.rate_source = "bare-transfer";
      }
  } catch (const std::exception& e) {
    r.status = "failed";
    r.error = e.what();
  }
  std::error_code ec;
  fs::remove_all(work, ec);
  reports::compute_efficiency(r);
  reports::write_result(st.o.out_dir, r);
  return r;
}

}  // namespace

std::string result_path(const std::string& out_dir, const std::string& cell_id, int repetition, const std::string& ab_side) {
  reports::Result r;
  r.cell_id = cell_id;
  r.repetition = repetition;
  r.metadata.ab_side = ab_side;
  return (reports::results_dir(out_dir) / reports::result_file_name(r)).string();
}

std::vector<Job> plan_jobs(const Matrix& m, const RunOptions& o) {
  auto cells = shard_cells(enumerate_cells(m), o.shard);
  if (!o.only_cell.empty()) {
    auto all = enumerate_cells(m);
    if (std::none_of(all.begin(), all.end(), [&](const Cell& c) { return cell_id(c) == o.only_cell; }))
      throw Error(Errc::usage, "--cell " + o.only_cell + ": no such cell in matrix " + m.name + " (see --list)");
    std::erase_if(cells, [&](const Cell& c) { return cell_id(c) != o.only_cell; });
  }
  if (o.only_rep >= m.repetitions)
    throw Error(Errc::usage, "--rep " + std::to_string(o.only_rep) + ": matrix " + m.name + " has " + std::to_string(m.repetitions) + " repetition(s)");
  std::stable_partition(cells.begin(), cells.end(), [](const Cell& c) { return c.tool == "bare"; });
  std::vector<Job> jobs;
  for (int rep = 0; rep < m.repetitions; ++rep) {
    if (o.only_rep >= 0 && rep != o.only_rep) continue;
    for (const auto& c : cells) jobs.push_back({c, rep});
  }
  return jobs;
}

RunSummary run(const Matrix& m, const RunOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  RunSummary sum;
  auto jobs = plan_jobs(m, o);
  sum.planned = jobs.size();
  fs::create_directories(reports::results_dir(o.out_dir));
  const std::string matrix_file = (fs::path(o.out_dir) / "matrix.json").string();
  if (!fs::exists(matrix_file)) {
    const std::string text = m.to_json().dump(2) + "\n";
    write_file_atomic(matrix_file, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  }
  RunState st{m, o, StoreCache(o.cache_dir, o.log), std::nullopt, {}, {}, host_metadata()};
  std::vector<Job> todo;
  for (const auto& j : jobs) {
    const std::string path = result_path(o.out_dir, cell_id(j.cell), j.repetition, o.ab_side);
    if (!fs::exists(path)) {
      todo.push_back(j);
      continue;
    }
    ++sum.skipped;
    if (j.cell.tool != "bare") continue;
    auto r = reports::read_result_file(path);  // resumed runs still give unshaped cells their rate
    if (r.ok() && r.wall_seconds > 0) st.bare_rate[rate_key(j.cell, j.repetition)] = static_cast<double>(r.wire_bytes) / r.wall_seconds;
  }
  Progress progress(todo.size());
  for (const auto& j : todo) {
    if (o.on_cell_start) o.on_cell_start(j.cell, j.repetition, progress);
    const auto c0 = std::chrono::steady_clock::now();
    auto r = run_job(st, j);
    progress.finished(std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count());
    ++sum.ran;
    if (!r.ok()) ++sum.failed;
    if (o.on_cell_done) o.on_cell_done(r, progress);
    sum.results.push_back(std::move(r));
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace chunkbench::bench
