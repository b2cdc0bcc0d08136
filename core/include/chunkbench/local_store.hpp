#pragma once
// A chunk store in a directory: <dir>/<id[0:4]>/<id>.cacnk (zstd), or <id> with no extension for
// an uncompressed store, exactly as casync and desync lay them out.
#include <functional>

#include "chunkbench/chunk_layout.hpp"
#include "chunkbench/store.hpp"

namespace chunkbench {

class LocalStore : public PruneStore {
 public:
  // Creates nothing until the first put(); reading a missing directory is simply all-missing.
  explicit LocalStore(std::string dir, bool compressed = true);

  std::string name() const override { return dir_; }
  bool has(const ChunkId& id) override;
  std::optional<ChunkData> get(const ChunkId& id) override;
  std::string locate(const ChunkId& id) const override { return path_of(id); }
  bool wants_compressed() const override { return layout_.compressed; }
  void put(const ChunkId& id, const ChunkData& data) override;
  void list(const std::function<void(const StoredChunk&)>& fn) override;
  void remove(const ChunkId& id) override;
  // Also removes temporary files of writers killed more than an hour ago.
  PruneStats prune(const std::unordered_set<ChunkId, ChunkIdHash>& keep, bool dry_run) override;

  std::string path_of(const ChunkId& id) const;
  bool compressed() const { return layout_.compressed; }
  // Calls `fn(id, path, size)` for every chunk file; other files are ignored, stale temp files
  // (left by a killed writer) are reported through `on_temp` if given.
  void for_each(const std::function<void(const ChunkId&, const std::string&, std::uint64_t)>& fn,
                const std::function<void(const std::string&)>& on_temp = {}) const;
  // Size of the stored file, or nullopt when absent (for compressed-size accounting).
  std::optional<std::uint64_t> stored_size(const ChunkId& id) const;

 private:
  std::string dir_;
  ChunkLayout layout_;
};

}  // namespace chunkbench
