#pragma once
// A whole extract as one call: what `chunkbench extract`, the benchmark matrix and an update
// client all run. The request says what to build and from where, in the terms a user gives them
// (store specs, seed specs, an image URL); the decisions that make a run (window from the chunk
// size, cost-model calibration, one shared fetcher for every remote store and the image) are
// taken here, so every caller gets the same run for the same request.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chunkbench/assembler.hpp"
#include "chunkbench/fetch_stats.hpp"
#include "chunkbench/fetcher.hpp"
#include "chunkbench/index.hpp"
#include "chunkbench/plan.hpp"

namespace chunkbench {

struct ExtractRequest {
  // The target: the index at `index_path`, or `index` when the caller already holds it (then
  // `index_path` only names it in reports and is skipped among seed directories).
  std::string index_path;
  std::optional<Index> index;
  std::string output;
  std::vector<std::string> seeds;      // FILE, FILE.caibx or INDEX:FILE (desync's --seed)
  std::vector<std::string> seed_dirs;  // every *.caibx below, with its image beside it
  std::vector<std::string> stores;     // open_store specs, tried in order
  bool compressed = true;              // chunk layout of the stores
  // The raw image over http(s), read by Range requests; empty: none.
  std::string source;
  // Where chunks no seed holds come from; default: automatic with stores and a source, range
  // with a source only, store otherwise.
  std::optional<PlanOptions::Remote> mode;
  std::uint64_t max_span = 8u << 20;   // longest Range request
  // Requests in flight (replaces http.in_flight); 0: follows the link (link_http()): starts at
  // default_window(), becomes the bandwidth-delay product in chunks once the first connection has
  // measured the round trip, grows with the measured throughput, bounded by window_memory.
  unsigned window = 0;
  std::uint64_t window_memory = 256u << 20;  // bytes of chunk bodies the default window may hold
  unsigned threads = 0;                // decode/verify/write threads; 0: one per core
  bool in_place = false;               // write into the output and keep what already verifies
  std::string temp_path;               // see ExtractOptions::temp_path
  std::optional<DigestKind> digest;    // required digest; default: whatever the index says
  // Cost-model inputs for the automatic mode: the round trip (nullopt: measured with HEAD
  // requests) and the link rate in bytes per second (also the link model's first rate estimate).
  std::optional<double> rtt;
  double bandwidth = 50e6 / 8;
  HttpOptions http;
  // Called at most every 200 ms from a worker thread (serialised).
  std::function<void(const ExtractProgress&)> progress;
  // Every HTTP attempt as it ends (from the transfer thread), for live logs; the report keeps
  // them all anyway.
  std::function<void(const RequestRecord&)> on_request;
};

struct ExtractReport {
  std::string index, output;
  ExtractStats stats;
  FetchSummary network;                // zero when nothing went over the network
  std::string protocol;                // negotiated HTTP versions, "2", "1.1" or "1.1+2"
  HttpOptions http;                    // as used: in_flight is the window at the end
  // What the link model saw (link_model.hpp): the round trip of the first connection (-1: none),
  // the rate estimate, the window and the connections per host (0: unlimited) at the end.
  struct Link {
    double rtt = -1, rate = 0;
    unsigned window = 0, connections = 0;
  } link;
  unsigned threads = 0;                // decode/verify/write threads used
  double wall_seconds = 0;             // the whole call: loading seeds, calibration, extract
  std::shared_ptr<FetchStats> requests;  // one record per HTTP attempt
};

// The default window for a target: about 16 MiB of chunks in flight, 4 to 64 requests. Large
// chunks need few requests to fill a link, and with many of them an h2 server interleaves all
// streams so they complete together at the end instead of feeding the decoders as they go.
unsigned default_window(const Index& target);

// The HTTP options of an extract: `given` with the window fixed at `window` when it is set, else
// following the link: starting at default_window(target), bounded by `memory` bytes of average
// chunks, first rate estimate `rate` (bytes/s), the average chunk as the first answer size.
HttpOptions link_http(HttpOptions given, const Index& target, unsigned window, double rate, std::uint64_t memory);

// Rebuilds request.output; throws chunkbench::Error naming the spec, file, URL or chunk at fault,
// and leaves no file under the output name unless it is complete (see extract() in assembler.hpp).
ExtractReport extract(const ExtractRequest& request);

}  // namespace chunkbench
