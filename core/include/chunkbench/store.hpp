#pragma once
// Chunk stores as small layered capabilities (after desync): Store reads, WriteStore also writes,
// PruneStore also deletes what no index keeps. Stores compose (RouterStore, ...) instead of growing
// flags. A store hands back chunk bytes as stored (compressed or not); decoding and verification
// belong to the consumer, so a remote store's transfer thread never spends time on zstd or hashing.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "chunkbench/digest.hpp"

namespace chunkbench {

struct ChunkData {
  std::vector<std::uint8_t> bytes;
  bool compressed = true;
};

// Receives the results of Store::fetch, in any order, possibly from another thread than the
// caller's but never from two at once.
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  // `where` names the chunk's file or URL, for the consumer's error messages.
  virtual void chunk(std::size_t request, ChunkData data, const std::string& where) = 0;
  virtual void missing(std::size_t request) = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // A path or URL for messages and reports.
  virtual std::string name() const = 0;
  virtual bool has(const ChunkId& id) = 0;
  // nullopt when the store does not hold the chunk; any other failure throws.
  virtual std::optional<ChunkData> get(const ChunkId& id) = 0;
  // Fetches every id (the index into `ids` is the request number given to the sink). The default
  // calls get() in turn; remote stores override it to drive all transfers from one event loop.
  virtual void fetch(std::span<const ChunkId> ids, ChunkSink& sink);
  // Where `id` lives in this store, e.g. "store/abcd/abcd….cacnk", for messages.
  virtual std::string locate(const ChunkId& id) const = 0;
};

class WriteStore : public virtual Store {
 public:
  // Which form put() takes without converting: compressed (.cacnk) or raw chunk bytes.
  virtual bool wants_compressed() const = 0;
  // Atomic: readers see the whole chunk or none; concurrent writers of one chunk are safe.
  virtual void put(const ChunkId& id, const ChunkData& data) = 0;
};

struct PruneStats {
  std::uint64_t kept = 0;
  std::uint64_t removed = 0;
  std::uint64_t removed_bytes = 0;
  std::uint64_t temp_files_removed = 0;
};

class PruneStore : public virtual WriteStore {
 public:
  // Deletes every chunk not in `keep`; `keep` is the union of all indexes that may still be read.
  virtual PruneStats prune(const std::unordered_set<ChunkId, ChunkIdHash>& keep, bool dry_run) = 0;
};

// Several stores in order: a chunk missing from one is looked for in the next; any other error
// stops (desync's router semantics: only "missing" falls through).
class RouterStore : public Store {
 public:
  explicit RouterStore(std::vector<std::shared_ptr<Store>> stores);
  std::string name() const override;
  bool has(const ChunkId& id) override;
  std::optional<ChunkData> get(const ChunkId& id) override;
  void fetch(std::span<const ChunkId> ids, ChunkSink& sink) override;
  std::string locate(const ChunkId& id) const override;
  const std::vector<std::shared_ptr<Store>>& stores() const { return stores_; }

 private:
  std::vector<std::shared_ptr<Store>> stores_;
};

}  // namespace chunkbench
