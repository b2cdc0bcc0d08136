#pragma once
// The tools a cell runs inside its client namespace (each as the client function of a
// netem::run) against the cell's server: chunkbench's own extract as a library call, and the
// peers: casync (Debian's, with its sequential HTTP client) and a bare transfer of the same chunk
// files with h2load (no decompress, verify or write: the protocol's ceiling on this link).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chunkbench/bench/cell.hpp"
#include "chunkbench/bench/store_cache.hpp"

namespace chunkbench::bench {

struct CellContext {
  Cell cell;
  StoreEntry store;
  ImagePair images;
  std::string server_url;  // https://SERVER_ADDR:PORT/ serving StoreEntry::root
  std::string ca_file;     // the server's CA (PEM), written before it listens
  std::string work_dir;    // scratch for outputs and logs (tmpfs where there is one)
  double timeout_seconds = 300;
  // The link as configured, for the auto mode's cost model (0 = unknown: measured or defaulted).
  double rtt_seconds = 0, rate_bytes_per_second = 0;
};

// What a tool did; crosses from the client child to the runner as JSON.
struct ToolRun {
  int status = 0;           // exit status; non-zero = failed
  bool timed_out = false;
  double wall_seconds = 0;  // the tool's whole run (process, or the extract call)
  double cpu_seconds = 0;
  std::uint64_t peak_rss_bytes = 0;
  std::string error;
  std::string output;       // the image written, to verify ("" for the bare transfer)
  std::string protocol;     // as the client saw it ("" = take the server's)
  nlohmann::json extract = nlohmann::json::object();  // chunkbench.extract/1 document

  nlohmann::json to_json() const;
  static ToolRun from_json(const nlohmann::json& j);
};

ToolRun run_chunkbench(const CellContext& c);
ToolRun run_casync(const CellContext& c);
ToolRun run_bare(const CellContext& c);

// The chunk files an update or full download needs (relative to the server root:
// "store/abcd/abcd….cacnk"): every distinct chunk of v2, minus v1's for an update.
std::vector<std::string> needed_chunk_files(const StoreEntry& s, bool update);

}  // namespace chunkbench::bench
