#pragma once
// The raw image as a third source of chunks: byte spans read by HTTP Range requests (206) through
// one BatchFetcher, so a gap of adjacent missing chunks costs one request instead of one per
// chunk. The caller still verifies every chunk of a span by its id.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "chunkbench/fetcher.hpp"
#include "chunkbench/index.hpp"
#include "chunkbench/plan.hpp"

namespace chunkbench {

class HttpStore;

struct ByteSpan {
  std::uint64_t first = 0, length = 0;
};

class RangeSource {
 public:
  virtual ~RangeSource() = default;
  virtual std::string name() const = 0;
  // Calls `done(i, bytes, where)` for every span, in any order, on the calling thread; `where`
  // names the URL and byte range for error messages. A span the source cannot serve throws.
  virtual void fetch(std::span<const ByteSpan> spans,
                     const std::function<void(std::size_t, std::vector<std::uint8_t>&&, const std::string&)>& done) = 0;
};

class HttpRangeSource : public RangeSource {
 public:
  HttpRangeSource(std::string image_url, HttpOptions options, std::shared_ptr<FetchStats> stats);
  // Shares `fetcher` with the stores of the same run (see HttpStore).
  HttpRangeSource(std::string image_url, std::shared_ptr<BatchFetcher> fetcher);
  std::string name() const override { return url_; }
  void fetch(std::span<const ByteSpan> spans,
             const std::function<void(std::size_t, std::vector<std::uint8_t>&&, const std::string&)>& done) override;
  BatchFetcher& fetcher() { return *fetcher_; }

 private:
  std::string url_;
  std::shared_ptr<BatchFetcher> fetcher_;
};

// Measures what the cost model needs instead of guessing: HEAD requests for up to `sample` store
// chunks give their compressed size (-> compression) and, with a HEAD of the image, the round trip
// (the smallest time to first byte seen). Bandwidth and per-request overhead stay as given.
CostModel calibrate_cost(CostModel base, HttpStore& store, HttpRangeSource* image, const Index& target,
                         std::span<const std::size_t> positions);

}  // namespace chunkbench
