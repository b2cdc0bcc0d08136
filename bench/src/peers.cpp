#include "chunkbench/bench/peers.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

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

}  // namespace

std::vector<std::string> needed_chunk_files(const StoreEntry& s, bool update) {
  std::set<std::string> have;
  if (update)
    for (const auto& e : Index::read(s.v1_index).entries) have.insert(e.id.hex());
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const auto& e : Index::read(s.v2_index).entries) {
    const std::string hex = e.id.hex();
    if (have.count(hex) || !seen.insert(hex).second) continue;
    out.push_back("store/" + hex.substr(0, 4) + "/" + hex + ".cacnk");
  }
  return out;
}

// casync-https is libcurl with verification on, no CA option, and libcurl reads no CA from the
// environment: the cell's CA is bind-mounted over the system bundle in a private mount namespace,
// so the machine's trust store is never touched. TMPDIR on tmpfs; for updates the old image is the
// seed (casync chunks it itself, as a client would).
ToolRun run_casync(const CellContext& c) {
  ToolRun t;
  t.output = c.work_dir + "/casync-out.img";
  const std::string tmp = c.work_dir + "/casync-tmp";
  fs::create_directories(tmp);
  std::string cmd = "mount --bind \"$CB_CA\" /etc/ssl/certs/ca-certificates.crt && exec casync extract --store=\"$CB_STORE\"";
  if (c.cell.case_ == "update") cmd += " --seed=\"$CB_SEED\"";
  cmd += " \"$CB_INDEX\" \"$CB_OUT\"";
  t.run = run_program_in_netns(c.client_netns, {"unshare", "-m", "sh", "-c", cmd},
                               {"CB_CA=" + c.ca_file, "CB_STORE=" + c.server_url + "store/", "CB_SEED=" + c.images.v1,
                                "CB_INDEX=" + c.store.v2_index, "CB_OUT=" + t.output, "TMPDIR=" + tmp},
                               c.timeout_seconds, c.work_dir + "/casync.log");
  return t;
}

// h2load fetches exactly the chunk files the client would, over one connection with M streams (h2)
// or M connections (HTTP/1.1), and discards them.
ToolRun run_bare(const CellContext& c) {
  ToolRun t;
  const auto files = needed_chunk_files(c.store, c.cell.case_ == "update");
  const std::string urls = c.work_dir + "/urls.txt";
  {
    std::ofstream out(urls);
    for (const auto& f : files) out << c.server_url << f << "\n";
  }
  t.expected_requests = files.size();
  const int n = std::max(1, c.cell.in_flight);
  const std::string log = c.work_dir + "/h2load.log";
  std::vector<std::string> argv = {"h2load", "-i", urls, "-n", std::to_string(files.size())};
  if (c.cell.protocol == "1.1") {
    const int conns = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(n), std::max<std::size_t>(files.size(), 1)));
    argv.insert(argv.end(), {"--h1", "-c", std::to_string(conns), "-m", "1"});
  } else {
    argv.insert(argv.end(), {"-c", "1", "-m", std::to_string(n)});
  }
  if (files.empty()) {
    t.run.status = 0;
    return t;
  }
  t.run = run_program_in_netns(c.client_netns, argv, {}, c.timeout_seconds, log);
  const std::string text = slurp(log);
  std::smatch m;
  if (std::regex_search(text, m, std::regex(R"(requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded)")) &&
      std::stoull(m[1]) != files.size() && t.run.status == 0) {
    t.run.status = 1;
    t.run.error = "h2load: only " + m[1].str() + " of " + std::to_string(files.size()) + " requests succeeded";
  }
  if (std::regex_search(text, m, std::regex(R"(Application protocol: (\S+))"))) t.protocol = m[1];
  if (t.run.status != 0 && t.run.error.empty()) t.run.error = text.substr(text.size() > 2000 ? text.size() - 2000 : 0);
  return t;
}

}  // namespace chunkbench::bench
