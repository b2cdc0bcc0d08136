#include "chunkbench/make.hpp"

#include <fcntl.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "chunkbench/chunk_pool.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/output_target.hpp"

namespace chunkbench {

unsigned default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n ? n : 1;
}

Index make_index(const std::string& image, WriteStore* store, const MakeOptions& opt, MakeStats* stats_out) {
  auto t0 = std::chrono::steady_clock::now();
  Fd fd = open_file(image, O_RDONLY);
  const std::uint64_t total = file_size(fd.get(), image);
  ChunkReader reader(fd.get(), image, opt.sizes);

  const unsigned threads = opt.threads ? opt.threads : default_threads();

  // deque: workers fill their entry through a stable pointer while the reader appends.
  std::deque<IndexEntry> entries;
  std::mutex seen_mu;
  std::unordered_set<ChunkId, ChunkIdHash> seen;
  std::atomic<std::uint64_t> unique{0}, stored{0}, present{0}, bytes_unique{0}, bytes_stored{0};
  // Recycled chunk buffers: the queue bound caps how many exist at once.
  std::mutex free_mu;
  std::vector<std::vector<std::uint8_t>> free_bufs;

  {
    ChunkPool pool(threads, threads * 2, opt.digest, opt.zstd_level);
    std::uint64_t offset = 0, last_progress = 0;
    std::span<const std::uint8_t> chunk;
    while (reader.next(offset, chunk)) {
      std::vector<std::uint8_t> buf;
      {
        std::lock_guard g(free_mu);
        if (!free_bufs.empty()) {
          buf = std::move(free_bufs.back());
          free_bufs.pop_back();
        }
      }
      buf.assign(chunk.begin(), chunk.end());
      IndexEntry* entry = &entries.emplace_back(IndexEntry{offset + chunk.size(), {}});
      pool.submit([&, entry, offset, buf = std::move(buf)](ChunkWorker& wk) mutable {
        entry->id = wk.hasher.digest(buf);
        bool first;
        {
          std::lock_guard g(seen_mu);
          first = seen.insert(entry->id).second;
        }
        if (first) {
          ++unique;
          bytes_unique += buf.size();
          if (store) {
            if (store->has(entry->id)) {
              ++present;
            } else {
              ChunkData data;
              if (store->wants_compressed()) {
                wk.codec.compress(buf, wk.buf);
                data.bytes.swap(wk.buf);
                data.compressed = true;
              } else {
                data.bytes = buf;
                data.compressed = false;
              }
              try {
                store->put(entry->id, data);
              } catch (const Error& e) {
                throw Error(e.code(), std::string(e.what()) + " (chunk at image offset " + std::to_string(offset) + ")");
              }
              ++stored;
              bytes_stored += data.bytes.size();
              if (data.compressed) wk.buf.swap(data.bytes);
            }
          }
        }
        std::lock_guard g(free_mu);
        free_bufs.push_back(std::move(buf));
      });
      std::uint64_t done = offset + chunk.size();
      if (opt.progress && done - last_progress >= (64u << 20)) {
        opt.progress(done, total);
        last_progress = done;
      }
    }
    pool.wait();
  }

  Index idx(opt.digest, opt.sizes);
  idx.entries.assign(entries.begin(), entries.end());
  if (opt.progress) opt.progress(idx.blob_size(), total);
  if (stats_out) {
    stats_out->chunks = idx.size();
    stats_out->unique = unique;
    stats_out->stored = stored;
    stats_out->already_present = present;
    stats_out->bytes_in = idx.blob_size();
    stats_out->bytes_unique = bytes_unique;
    stats_out->bytes_stored = bytes_stored;
    stats_out->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  return idx;
}

Index make_index_file(const std::string& image, const std::string& index_path, WriteStore* store,
                      const MakeOptions& options, MakeStats* stats) {
  if (output_kind(index_path) == OutputKind::block_device)
    throw Error(Errc::usage, "index output " + index_path + " is a block device: give a file name");
  refuse_output_is_input(index_path, {{"image", image}});
  Index idx = make_index(image, store, options, stats);
  idx.write(index_path);
  return idx;
}

}  // namespace chunkbench
