#pragma once
// The tools a cell runs in the client namespace against the cell's server: chunkbench's own extract
// (in-process, in a forked child), and the peers: casync (Debian's, its sequential HTTP client) and a
// bare transfer of the same chunk files with h2load (no decompress, verify or write: the protocol's
// ceiling on this link).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "chunkbench/bench/cell.hpp"
#include "chunkbench/bench/netns_child.hpp"
#include "chunkbench/bench/store_cache.hpp"

namespace chunkbench::bench {

struct CellContext {
  Cell cell;
  StoreEntry store;
  ImagePair images;
  std::string client_netns;  // /run/netns/... of the client namespace
  std::string server_url;    // https://10.77.0.2:PORT/ (serving StoreEntry::root)
  std::string ca_file;       // the server's CA (PEM)
  std::string work_dir;      // scratch for outputs and logs (tmpfs where there is one)
  double timeout_seconds = 300;
  // Rate and RTT hints for the auto mode's cost model (0 = let the library measure/default).
  double rtt_seconds = 0, rate_bytes_per_second = 0;
};

struct ToolRun {
  ChildRun run;
  std::string output;                       // the image written, to verify ("" for the bare transfer)
  nlohmann::json extract = nlohmann::json::object();  // chunkbench's statistics document
  std::string protocol;                     // as the client saw it ("" = take the server's)
  std::uint64_t expected_requests = 0;      // bare: files requested
};

ToolRun run_chunkbench(const CellContext& c);
ToolRun run_casync(const CellContext& c);
ToolRun run_bare(const CellContext& c);

// The chunk files an update or full download needs (relative to the store root's parent, i.e. the
// server root: "store/abcd/abcd….cacnk"): every distinct chunk of v2, minus v1's for an update.
std::vector<std::string> needed_chunk_files(const StoreEntry& s, bool update);

}  // namespace chunkbench::bench
