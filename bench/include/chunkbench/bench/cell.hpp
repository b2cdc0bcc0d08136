#pragma once
// Cells: the matrix's axes multiplied out (plus the peer rows), each with a stable id that names
// its result files, and the deterministic split of that list over CI shards.
#include <string>
#include <vector>

#include "chunkbench/bench/matrix.hpp"
#include "chunkbench/reports/result.hpp"

namespace chunkbench::bench {

using Cell = reports::Cell;

// "update-64k-h2-n32-c0-s0-store-seed-both-chunkbench": every axis in order, filesystem-safe.
// The chunk part is the average ("64k"), or "32-64-128k" when min/max are not avg/4 and 4·avg.
std::string cell_id(const Cell& c);

// Every cell in a fixed order: per scenario, case and chunk size, the chunkbench cells (protocol,
// in flight, connections, streams, mode), then with peers on: casync (its sequential HTTP client,
// protocol "1.1", 1 in flight) and one bare transfer per protocol at the largest in_flight.
// Ids are unique (checked).
std::vector<Cell> enumerate_cells(const Matrix& m);

struct Shard {
  int index = 1;  // 1-based
  int count = 1;
};
// "i/n" with 1 <= i <= n; errors name the option.
Shard parse_shard(const std::string& text);
// Cells are split by group (scenario, case, chunk size: the cells that share one store and one
// bare-transfer rate): group k in enumeration order goes to shard (k mod n) + 1. Deterministic, and
// the union of the shards is the whole list.
std::vector<Cell> shard_cells(const std::vector<Cell>& cells, Shard s);

}  // namespace chunkbench::bench
