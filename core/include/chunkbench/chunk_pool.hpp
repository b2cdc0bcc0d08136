#pragma once
// The worker pool of make, extract and verify: a WorkPool whose threads each own a hasher, a zstd
// codec and a scratch buffer, so chunk jobs neither share contexts nor allocate per chunk.
#include <cstdint>
#include <functional>
#include <vector>

#include "chunkbench/codec.hpp"
#include "chunkbench/digest.hpp"
#include "chunkbench/work_pool.hpp"

namespace chunkbench {

struct ChunkWorker {
  ChunkWorker(DigestKind digest, int level) : hasher(digest), codec(level) {}
  Hasher hasher;
  ChunkCodec codec;
  std::vector<std::uint8_t> buf;
};

class ChunkPool {
 public:
  // `queue`: jobs that may wait (bounds memory when jobs carry data); `level`: zstd level for
  // jobs that compress.
  ChunkPool(unsigned threads, std::size_t queue, DigestKind digest, int level = 3);
  // Blocks while the queue is full; rethrows the first job error.
  void submit(std::function<void(ChunkWorker&)> job);
  // Waits for every job; rethrows the first job error.
  void wait() { pool_.wait(); }
  unsigned threads() const noexcept { return pool_.threads(); }

 private:
  std::vector<ChunkWorker> workers_;  // declared first: destroyed after the threads that use them
  WorkPool pool_;
};

}  // namespace chunkbench
