#pragma once
// What an extract will do, decided before any byte moves: for each stretch of the output, whether
// it is all zeros (nothing to write on a fresh file), copied from a seed, fetched from the stores
// chunk by chunk, or read from the raw image by one HTTP Range request (a span of adjacent chunks,
// as kde-linux-sysupdated does). Printable and costed, so `info` and the benchmark can show it.
#include <cstdint>
#include <string>
#include <vector>

#include "chunkbench/index.hpp"
#include "chunkbench/seed.hpp"

namespace chunkbench {

// Time to move bytes in requests over one link: every byte costs 1/bandwidth, every request its
// header bytes plus a round trip shared by the requests in flight. Coarse on purpose: it only has
// to tell "many small requests on a long link" from "few large ones on a short link".
struct CostModel {
  double rtt = 0.05;                   // seconds
  double bandwidth = 50e6 / 8;         // bytes per second
  double request_overhead = 600;       // header bytes per request, both directions
  double compression = 1.0;            // store bytes per image byte (compressed chunk / raw chunk)
  unsigned in_flight = 64;             // requests that share one round trip
  bool measured = false;               // rtt/compression measured on this run (else defaults/options)
  double seconds(double bytes, double requests) const {
    return bytes / bandwidth + requests * (request_overhead / bandwidth + rtt / (in_flight ? in_flight : 1));
  }
};

struct PlanOptions {
  // Where chunks no seed holds come from: the store, the raw image by Range, or per gap by cost.
  enum class Remote { store, range, automatic };
  Remote remote = Remote::store;
  std::uint64_t max_span = 8u << 20;  // longest Range request; a single larger chunk still goes alone
  CostModel cost;
};

const char* remote_name(PlanOptions::Remote r) noexcept;
// "store", "range", "auto"; throws a usage error otherwise.
PlanOptions::Remote parse_remote(const std::string& s);

struct PlanStep {
  enum class Source { zero, seed, store, range };
  Source source = Source::store;
  std::size_t first = 0;  // target chunks [first, first + count)
  std::size_t count = 0;
  std::size_t seed = 0;            // seed number, for Source::seed
  std::uint64_t seed_offset = 0;   // where the run starts in that seed's blob
};

struct Plan {
  std::vector<PlanStep> steps;  // a range step is exactly one Range request
  std::uint64_t chunks_zero = 0, bytes_zero = 0;
  std::uint64_t chunks_seed = 0, bytes_seed = 0;
  std::uint64_t chunks_store = 0, bytes_store = 0;
  std::uint64_t unique_store = 0, bytes_unique_store = 0;  // what must actually be downloaded
  std::uint64_t chunks_range = 0, bytes_range = 0, range_requests = 0;
  // Gaps (maximal runs of chunks no seed or zero run covers) and where auto mode sent them.
  std::uint64_t gaps = 0, gaps_to_store = 0, gaps_to_range = 0;
  double estimated_seconds = 0;  // remote part, by the cost model given to choose_remote

  // desync's rule: at each position take the longest run of consecutive matching chunks any seed
  // offers (ties: earlier seed); all-zero max-size chunks form a "null seed" ahead of file seeds.
  static Plan build(const Index& target, const std::vector<Seed>& seeds);
  // Turns store gaps into Range spans (range), or decides per gap by options.cost (automatic).
  void choose_remote(const Index& target, const PlanOptions& options);
  // Target positions the store would fetch, in order (for calibrating the cost model).
  std::vector<std::size_t> store_positions(std::size_t limit) const;

 private:
  void recount(const Index& target);
};

}  // namespace chunkbench
