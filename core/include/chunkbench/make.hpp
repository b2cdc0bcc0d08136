#pragma once
// `make`: chunk an image, hash every chunk, compress and store the ones the store lacks, and build
// the index. One reader thread streams the file through the chunker; a worker pool hashes,
// compresses and writes, so memory is O(workers × max chunk) whatever the image size.
#include <cstdint>
#include <functional>
#include <string>

#include "chunkbench/chunker.hpp"
#include "chunkbench/index.hpp"
#include "chunkbench/store.hpp"

namespace chunkbench {

struct MakeOptions {
  ChunkSizes sizes;
  DigestKind digest = DigestKind::sha512_256;
  unsigned threads = 0;  // 0: one per core
  int zstd_level = 3;    // desync's default speed; casync uses libzstd's default (3) too
  // Called from the reader thread now and then with bytes chunked so far.
  std::function<void(std::uint64_t bytes_done, std::uint64_t bytes_total)> progress;
};

struct MakeStats {
  std::uint64_t chunks = 0;          // chunks in the index
  std::uint64_t unique = 0;          // distinct chunk ids
  std::uint64_t stored = 0;          // chunks written to the store by this run
  std::uint64_t already_present = 0; // distinct chunks the store already had
  std::uint64_t bytes_in = 0;        // image bytes
  std::uint64_t bytes_unique = 0;    // bytes of distinct chunks
  std::uint64_t bytes_stored = 0;    // bytes written to the store (compressed when it compresses)
  double seconds = 0;
};

// Chunks `image` into `store` (nullptr: index only) and returns the index.
Index make_index(const std::string& image, WriteStore* store, const MakeOptions& options, MakeStats* stats = nullptr);

// make_index, then writes the index to `index_path` (temporary name, then rename). Refuses
// (Errc::usage) before reading anything when `index_path` is the image itself (same device and
// inode: "./x.img" or a hard link count) or a directory or special file.
Index make_index_file(const std::string& image, const std::string& index_path, WriteStore* store,
                      const MakeOptions& options, MakeStats* stats = nullptr);

unsigned default_threads();

}  // namespace chunkbench
