#pragma once
// Chunk stores as small layered capabilities (after desync): Store reads, WriteStore also writes,
// ListStore enumerates, PruneStore also removes. Which ones a store has is what its type derives
// from (open_store returns a Store; dynamic_pointer_cast asks for more). Stores compose
// (RouterStore, FailoverStore, CacheStore) instead of growing flags. A store hands back chunk bytes as stored (compressed or not); decoding and verification
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
  // has() for many ids at once, answer i for ids[i]. The default asks one by one; remote stores
  // override it to ask concurrently (one HEAD each on the shared fetcher), so a 4,000-chunk
  // coverage check costs round trips / window instead of 4,000 round trips.
  virtual std::vector<bool> has_batch(std::span<const ChunkId> ids);
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
  // put() for many chunks; a remote store overrides it to upload concurrently.
  struct Item {
    const ChunkId* id;
    const ChunkData* data;
  };
  virtual void put_batch(std::span<const Item> items);
};

// What a listing says about one stored chunk.
struct StoredChunk {
  ChunkId id;
  std::uint64_t size = 0;   // as stored (compressed for a .cacnk store)
  std::int64_t mtime = 0;   // seconds since the epoch, 0 when the store does not say
};

class ListStore : public virtual Store {
 public:
  // Calls `fn` for every chunk the store holds, in no particular order. Temporary files of
  // writers and foreign files are skipped.
  virtual void list(const std::function<void(const StoredChunk&)>& fn) = 0;
};

struct PruneStats {
  std::uint64_t kept = 0;
  std::uint64_t removed = 0;
  std::uint64_t removed_bytes = 0;
  std::uint64_t temp_files_removed = 0;
};

class PruneStore : public virtual WriteStore, public virtual ListStore {
 public:
  // Removes one chunk; removing a chunk that is not there is not an error (another pruner won).
  virtual void remove(const ChunkId& id) = 0;
  // Deletes every chunk not in `keep`; `keep` is the union of all indexes that may still be read.
  // The default lists and removes; a store with its own leftovers (temporary files) overrides it.
  virtual PruneStats prune(const std::unordered_set<ChunkId, ChunkIdHash>& keep, bool dry_run);
};

// Several stores in order: a chunk missing from one is looked for in the next; any other error
// stops (desync's router semantics: only "missing" falls through).
class RouterStore : public Store {
 public:
  explicit RouterStore(std::vector<std::shared_ptr<Store>> stores);
  std::string name() const override;
  bool has(const ChunkId& id) override;
  std::optional<ChunkData> get(const ChunkId& id) override;
  std::vector<bool> has_batch(std::span<const ChunkId> ids) override;
  void fetch(std::span<const ChunkId> ids, ChunkSink& sink) override;
  std::string locate(const ChunkId& id) const override;
  const std::vector<std::shared_ptr<Store>>& stores() const { return stores_; }

 private:
  std::vector<std::shared_ptr<Store>> stores_;
};

// Mirrors of one store (desync's "a|b" failover group): everything is asked of the first; when it
// fails (a network or I/O error, not "missing": mirrors hold the same chunks) the next one takes
// over for the rest of the run. The last mirror's error is the one reported.
class FailoverStore : public Store {
 public:
  explicit FailoverStore(std::vector<std::shared_ptr<Store>> mirrors);
  std::string name() const override;
  bool has(const ChunkId& id) override;
  std::vector<bool> has_batch(std::span<const ChunkId> ids) override;
  std::optional<ChunkData> get(const ChunkId& id) override;
  void fetch(std::span<const ChunkId> ids, ChunkSink& sink) override;
  std::string locate(const ChunkId& id) const override;
  const std::vector<std::shared_ptr<Store>>& stores() const { return mirrors_; }

 private:
  template <typename F>
  auto with_failover(F&& f);
  std::vector<std::shared_ptr<Store>> mirrors_;
  std::size_t active_ = 0;
};

// A remote store with a local cache in front (desync's --cache): reads try the local store, then
// the remote one, and what the remote delivers is written through to the local store, so the next
// run finds it there. With `digest` set a chunk is cached only after it decodes and hashes to its
// id, so a corrupt transfer is never made permanent.
class CacheStore : public Store {
 public:
  CacheStore(std::shared_ptr<WriteStore> local, std::shared_ptr<Store> remote, std::optional<DigestKind> digest = {});
  std::string name() const override;
  bool has(const ChunkId& id) override;
  std::vector<bool> has_batch(std::span<const ChunkId> ids) override;
  std::optional<ChunkData> get(const ChunkId& id) override;
  void fetch(std::span<const ChunkId> ids, ChunkSink& sink) override;
  std::string locate(const ChunkId& id) const override { return remote_->locate(id); }
  std::uint64_t cached() const { return cached_; }

 private:
  void cache(const ChunkId& id, const ChunkData& data);
  std::shared_ptr<WriteStore> local_;
  std::shared_ptr<Store> remote_;
  std::optional<DigestKind> digest_;
  std::uint64_t cached_ = 0;
};

}  // namespace chunkbench
