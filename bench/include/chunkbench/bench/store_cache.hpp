#pragma once
// Images and stores a matrix needs, built once and reused by later runs: the image pair is keyed by
// its generator parameters, each store by the pair's SHA-256s and the chunker parameters. Entries
// are built under a temporary name and renamed when complete, so a killed build is rebuilt, never
// half used.
#include <cstdint>
#include <functional>
#include <string>

#include "chunkbench/bench/matrix.hpp"

namespace chunkbench::bench {

struct ImagePair {
  std::string dir;  // holds v1.img, v2.img, pair.json
  std::string v1, v2;
  std::string v1_sha256, v2_sha256;
  std::uint64_t v1_size = 0, v2_size = 0;
};

// One chunk size's store. `root` is what the server serves: store/ (both versions' chunks),
// v2.img (for Range requests) and the indexes.
struct StoreEntry {
  std::string root;
  std::string store;     // root/store
  std::string v1_index;  // root/v1.caibx
  std::string v2_index;  // root/v2.caibx
  std::string v2_image;  // root/v2.img, a hard link to the pair's v2
  std::string chunk;     // "min:avg:max" KiB
};

std::string sha256_file(const std::string& path);

class StoreCache {
 public:
  // `root` e.g. ~/.cache/chunkbench; `log` receives one line per thing built (may be empty).
  explicit StoreCache(std::string root, std::function<void(const std::string&)> log = {});

  ImagePair images(const ImageSpec& spec);
  StoreEntry store(const ImagePair& pair, const std::string& chunk);
  const std::string& root() const { return root_; }

 private:
  std::string root_;
  std::function<void(const std::string&)> log_;
};

}  // namespace chunkbench::bench
