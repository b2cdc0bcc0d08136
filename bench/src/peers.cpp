#include "chunkbench/bench/peers.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "chunkbench/bench/program.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/index.hpp"

namespace chunkbench::bench {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ToolRun from_program(const ProgramRun& p) {
  ToolRun t;
  t.status = p.status;
  t.timed_out = p.timed_out;
  t.wall_seconds = p.wall_seconds;
  t.cpu_seconds = p.cpu_seconds;
  t.peak_rss_bytes = p.peak_rss_bytes;
  t.error = p.error;
  return t;
}

}  // namespace

nlohmann::json ToolRun::to_json() const {
  return {{"status", status}, {"timed_out", timed_out}, {"wall_seconds", wall_seconds}, {"cpu_seconds", cpu_seconds},
          {"peak_rss_bytes", peak_rss_bytes}, {"error", error}, {"output", output}, {"protocol", protocol}, {"extract", extract}};
}

ToolRun ToolRun::from_json(const nlohmann::json& j) {
  ToolRun t;
  t.status = j.at("status");
  t.timed_out = j.at("timed_out");
  t.wall_seconds = j.at("wall_seconds");
  t.cpu_seconds = j.at("cpu_seconds");
  t.peak_rss_bytes = j.at("peak_rss_bytes");
  t.error = j.at("error");
  t.output = j.at("output");
  t.protocol = j.at("protocol");
  t.extract = j.at("extract");
  return t;
}

std::vector<std::string> needed_chunk_files(const StoreEntry& s, bool update) {
  std::set<std::string> skip;
  if (update)
    for (const auto& e : Index::read(s.v1_index).entries) skip.insert(e.id.hex());
  std::vector<std::string> out;
  for (const auto& e : Index::read(s.v2_index).entries) {
    const std::string hex = e.id.hex();
    if (!skip.insert(hex).second) continue;
    out.push_back("store/" + hex.substr(0, 4) + "/" + hex + ".cacnk");
  }
  return out;
}

// casync-https is libcurl with verification on, no CA option, and libcurl reads no CA from the
// environment: the cell's CA is bind-mounted over the system bundle in a private mount namespace,
// so the machine's trust store is never touched. TMPDIR on tmpfs; for updates the old image is the
// seed (casync chunks it itself, as a client would).
ToolRun run_casync(const CellContext& c) {
  const std::string out = c.work_dir + "/casync-out.img";
  const std::string tmp = c.work_dir + "/casync-tmp";
  fs::create_directories(tmp);
  std::string cmd = "mount --bind \"$CB_CA\" /etc/ssl/certs/ca-certificates.crt && exec casync extract --store=\"$CB_STORE\"";
  if (c.cell.case_ == "update") cmd += " --seed=\"$CB_SEED\"";
  cmd += " \"$CB_INDEX\" \"$CB_OUT\"";
  ToolRun t = from_program(run_program({"unshare", "-m", "sh", "-c", cmd},
                                       {"CB_CA=" + c.ca_file, "CB_STORE=" + c.server_url + "store/", "CB_SEED=" + c.images.v1,
                                        "CB_INDEX=" + c.store.v2_index, "CB_OUT=" + out, "TMPDIR=" + tmp},
                                       c.timeout_seconds, c.work_dir + "/casync.log"));
  t.output = out;
  return t;
}

// h2load fetches exactly the chunk files the client needs, over one connection with N streams (h2)
// or N connections (HTTP/1.1), and discards them.
ToolRun run_bare(const CellContext& c) {
  const auto files = needed_chunk_files(c.store, c.cell.case_ == "update");
  if (files.empty()) return {};
  const std::string urls = c.work_dir + "/urls.txt";
  {
    std::ofstream out(urls);
    for (const auto& f : files) out << c.server_url << f << "\n";
  }
  const int n = std::max(1, c.cell.in_flight);
  std::vector<std::string> argv = {"h2load", "-i", urls, "-n", std::to_string(files.size())};
  if (c.cell.protocol == "1.1")
    argv.insert(argv.end(), {"--h1", "-c", std::to_string(std::min<std::size_t>(static_cast<std::size_t>(n), files.size())), "-m", "1"});
  else
    argv.insert(argv.end(), {"-c", "1", "-m", std::to_string(n)});
  const std::string log = c.work_dir + "/h2load.log";
  ToolRun t = from_program(run_program(argv, {}, c.timeout_seconds, log));
  const std::string text = slurp(log);
  std::smatch m;
  if (t.status == 0 && std::regex_search(text, m, std::regex(R"(requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded)")) &&
      std::stoull(m[1]) != files.size()) {
    t.status = 1;
    t.error = "h2load: only " + m[1].str() + " of " + std::to_string(files.size()) + " requests succeeded";
  }
  if (std::regex_search(text, m, std::regex(R"(Application protocol: (\S+))"))) t.protocol = m[1];
  // h2load's own clock (first connect to last response) without its process start: the ceiling.
  if (t.status == 0 && std::regex_search(text, m, std::regex(R"(finished in ([0-9.]+)(ms|s),)")))
    t.wall_seconds = std::stod(m[1]) / (m[2] == "ms" ? 1000.0 : 1.0);
  return t;
}

}  // namespace chunkbench::bench
