#include "chunkbench/bench/runner.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <fstream>

#include "chunkbench/bench/metadata.hpp"
#include "chunkbench/bench/peers.hpp"
#include "chunkbench/bench/store_cache.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/netem/link.hpp"
#include "chunkbench/netem/run.hpp"
#include "chunkbench/netem/scenario.hpp"
#include "chunkbench/netem/topology.hpp"
#include "chunkbench/server/server.hpp"

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

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
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

// Every cell's server listens here; each cell has fresh namespaces, so the port is always free.
constexpr std::uint16_t kPort = 8443;
// netem::run's `interrupted` value that marks the cell's time cap (not a signal number).
constexpr int kTimeCap = 1000;

// The measurements of a finished tool run into the result; the status says whether it counts.
void record(reports::Result& r, const ToolRun& t, const ImagePair& images, const netem::Scenario& s, double timeout) {
  r.wall_seconds = t.wall_seconds;
  r.client_cpu_seconds = t.cpu_seconds;
  r.client_peak_rss_bytes = t.peak_rss_bytes;
  r.extract = t.extract;
  const auto& total = r.server.contains("total") ? r.server["total"] : nlohmann::json::object();
  r.payload_bytes = total.value("body_bytes", std::uint64_t{0});
  r.requests = total.value("requests", std::uint64_t{0});
  r.connections_opened = total.value("connections", std::uint64_t{0});
  r.protocol_negotiated = t.protocol.empty() ? negotiated(r.server) : t.protocol;
  r.wire_bytes = r.link.contains("down") ? r.link["down"].value("bytes_out", std::uint64_t{0}) : 0;
  if (r.wire_bytes == 0) r.wire_bytes = r.payload_bytes;
  r.rtt_seconds = static_cast<double>(s.base_rtt_ns()) / 1e9;
  if (s.down.rate_bps) {
    r.rate_bytes_per_second = static_cast<double>(s.down.rate_bps) / 8;
    r.rate_source = "scenario";
  }
  if (t.timed_out) {
    r.status = "timeout";
    r.lower_bound = true;
    r.wall_seconds = std::max(r.wall_seconds, timeout);
    r.error = "did not finish within the cell's cap of " + std::to_string(static_cast<int>(timeout)) + " s";
    return;
  }
  if (t.status != 0) {
    r.status = "failed";
    r.error = "exit status " + std::to_string(t.status) + (t.error.empty() ? "" : ": " + t.error);
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

// The embedded server in the server namespace; its statistics are written when the teardown's
// SIGTERM stops it.
netem::ServerFunction server_function(const std::string& root, const std::string& work) {
  return [root, work](const netem::RunContext& ctx) {
    server::Options o;
    o.root = root;
    o.listen = ctx.server_addr + ":" + std::to_string(kPort);
    o.ca_out = work + "/ca.pem";
    server::Server srv(o);
    srv.run(true);
    const std::string stats = srv.stats_json();
    write_file_atomic(work + "/server-stats.json", {reinterpret_cast<const std::uint8_t*>(stats.data()), stats.size()});
    return 0;
  };
}

// One cell: namespaces, link, server and the tool (in the client namespace) by one netem::run.
ToolRun run_cell(const netem::Scenario& s, const CellContext& ctx, reports::Result& r) {
  netem::RunSpec spec;
  spec.scenario = s;
  spec.server_function = server_function(ctx.store.root, ctx.work_dir);
  spec.server_log = ctx.work_dir + "/server.log";
  spec.wait_port = kPort;
  spec.client_function = [&ctx](const netem::RunContext&) { return run_tool(ctx).to_json().dump(); };
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  spec.on_link_ready = [&](const netem::RunResult&) {
    deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                        std::chrono::duration<double>(ctx.timeout_seconds + 1));
  };
  spec.interrupted = [&] { return std::chrono::steady_clock::now() >= deadline ? kTimeCap : 0; };
  const netem::RunResult run = netem::run(spec);
  r.metadata.link_backend = std::string(netem::backend_name(run.backend)) + ": " + run.backend_reason;
  r.metadata.sysctls.clear();
  flatten(run.sysctls, "", r.metadata.sysctls);
  if (!run.client_congestion_control.empty()) r.metadata.congestion_control = run.client_congestion_control;
  r.link = run.counters;
  r.metadata.extra["netem_run"] = run.to_json();
  try {
    r.server = nlohmann::json::parse(read_text(ctx.work_dir + "/server-stats.json"));
  } catch (const nlohmann::json::exception&) {
    r.server = nlohmann::json::object();
  }
  ToolRun t;
  if (run.signal == kTimeCap) {
    t.timed_out = true;
    t.wall_seconds = ctx.timeout_seconds;
  } else if (!run.ok()) {
    t.status = run.client_status ? run.client_status : 1;
    t.error = !run.failure.empty() ? run.failure : !run.client_error.empty() ? run.client_error : "client status " + std::to_string(run.client_status);
  } else {
    t = ToolRun::from_json(nlohmann::json::parse(run.client_result));
  }
  return t;
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
    const CellContext ctx{cell, entry, *st.images,
                          "https://" + std::string(netem::Topology::kServerAddr) + ":" + std::to_string(kPort) + "/",
                          (work / "ca.pem").string(), work.string(), st.m.cell_timeout_seconds,
                          static_cast<double>(s.base_rtt_ns()) / 1e9, static_cast<double>(s.down.rate_bps) / 8};
    const ToolRun t = run_cell(s, ctx, r);
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
    if (r.status == "failed") ++sum.failed;
    if (r.status == "timeout") ++sum.capped;
    if (o.on_cell_done) o.on_cell_done(r, progress);
    sum.results.push_back(std::move(r));
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace chunkbench::bench
