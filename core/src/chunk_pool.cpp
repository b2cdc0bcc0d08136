#include "chunkbench/chunk_pool.hpp"

#include <algorithm>

namespace chunkbench {

namespace {

std::vector<ChunkWorker> make_workers(unsigned threads, DigestKind digest, int level) {
  std::vector<ChunkWorker> w;
  w.reserve(std::max(threads, 1u));
  for (unsigned i = 0; i < std::max(threads, 1u); ++i) w.emplace_back(digest, level);
  return w;
}

}  // namespace

ChunkPool::ChunkPool(unsigned threads, std::size_t queue, DigestKind digest, int level)
    : workers_(make_workers(threads, digest, level)), pool_(std::max(threads, 1u), queue) {}

void ChunkPool::submit(std::function<void(ChunkWorker&)> job) {
  pool_.submit([this, job = std::move(job)](unsigned w) { job(workers_[w]); });
}

}  // namespace chunkbench
