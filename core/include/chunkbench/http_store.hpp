#pragma once
// A chunk store reached over HTTP(S), laid out as casync/desync serve it (ChunkLayout:
// <base>/<id[0:4]>/<id>.cacnk, or <id> with no extension for an uncompressed store). has() is a
// HEAD, has_batch() the same HEADs concurrently, get() a GET, and fetch() runs the whole batch
// through one BatchFetcher (one libcurl multi on the calling thread). 404 means missing, so a RouterStore moves to its next store; any other
// failure after the retries throws naming the URL. Not thread-safe: one caller at a time.
#include <memory>
#include <string>

#include "chunkbench/chunk_layout.hpp"
#include "chunkbench/fetcher.hpp"
#include "chunkbench/store.hpp"

namespace chunkbench {

class HttpStore : public Store {
 public:
  // `max_body`: the largest chunk file accepted (0: no limit), so a wrong URL serving a huge file
  // cannot exhaust memory.
  HttpStore(std::string base_url, bool compressed, HttpOptions options, std::shared_ptr<FetchStats> stats,
            std::size_t max_body = 0);
  // Shares `fetcher` (one multi: connections, TLS sessions, DNS) with other stores and sources of
  // the same run; they must not fetch at the same time.
  HttpStore(std::string base_url, bool compressed, std::shared_ptr<BatchFetcher> fetcher, std::size_t max_body = 0);

  std::string name() const override { return base_; }
  bool has(const ChunkId& id) override;
  std::vector<bool> has_batch(std::span<const ChunkId> ids) override;
  std::optional<ChunkData> get(const ChunkId& id) override;
  void fetch(std::span<const ChunkId> ids, ChunkSink& sink) override;
  std::string locate(const ChunkId& id) const override { return url_of(id); }

  std::string url_of(const ChunkId& id) const;
  void set_max_body(std::size_t n) { max_body_ = n; }
  BatchFetcher& fetcher() { return *fetcher_; }
  const std::shared_ptr<BatchFetcher>& shared_fetcher() const { return fetcher_; }

 private:
  std::string base_;  // always ends in '/'
  ChunkLayout layout_;
  std::size_t max_body_;
  std::shared_ptr<BatchFetcher> fetcher_;
};

// True for http:// and https:// locators.
bool is_http_url(const std::string& s);

}  // namespace chunkbench
