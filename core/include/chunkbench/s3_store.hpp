#pragma once
// A chunk store in an S3 bucket (s3+https://HOST/BUCKET/PREFIX, also s3+http), laid out like a
// directory store (ChunkLayout) under PREFIX, as desync's S3 store keeps it. Reads are GET/HEAD,
// has_batch/fetch/put_batch run concurrently on the shared fetcher, list() pages through
// ListObjectsV2 and reports each chunk's size and LastModified (the pruner's grace period needs
// it), remove() is a DELETE. Not thread-safe: one caller at a time, like HttpStore.
#include <memory>
#include <string>

#include "chunkbench/chunk_layout.hpp"
#include "chunkbench/s3_client.hpp"
#include "chunkbench/store.hpp"

namespace chunkbench {

class S3Store : public PruneStore {
 public:
  S3Store(std::shared_ptr<s3::Client> client, bool compressed = true);

  std::string name() const override { return client_->endpoint().spec(); }
  bool has(const ChunkId& id) override;
  std::vector<bool> has_batch(std::span<const ChunkId> ids) override;
  std::optional<ChunkData> get(const ChunkId& id) override;
  void fetch(std::span<const ChunkId> ids, ChunkSink& sink) override;
  std::string locate(const ChunkId& id) const override;
  bool wants_compressed() const override { return layout_.compressed; }
  void put(const ChunkId& id, const ChunkData& data) override;
  void put_batch(std::span<const Item> items) override;
  void list(const std::function<void(const StoredChunk&)>& fn) override;
  void remove(const ChunkId& id) override;

  // The object key of a chunk (bucket-relative).
  std::string key_of(const ChunkId& id) const;
  s3::Client& client() { return *client_; }
  const ChunkLayout& layout() const { return layout_; }

 private:
  std::shared_ptr<s3::Client> client_;
  ChunkLayout layout_;
};

}  // namespace chunkbench
