#pragma once
// The .cacnk codec: a chunk file is zstd frame(s) of the chunk bytes. Frames with and without
// content size or checksum (casync vs desync) and concatenated frames are read; the size comes from
// the index, never from the frame. One codec per thread (it owns zstd contexts); not thread-safe.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "chunkbench/digest.hpp"

namespace chunkbench {

class ChunkCodec {
 public:
  explicit ChunkCodec(int level = 3);
  ~ChunkCodec();
  ChunkCodec(ChunkCodec&&) noexcept;
  ChunkCodec& operator=(ChunkCodec&&) noexcept;

  void compress(std::span<const std::uint8_t> raw, std::vector<std::uint8_t>& out);
  // Decompresses into exactly `expected` bytes; Errc::corrupt naming `where` on a bad frame or
  // a length other than `expected`.
  void decompress(std::span<const std::uint8_t> frame, std::size_t expected, std::vector<std::uint8_t>& out,
                  const std::string& where);
  // Decompresses without knowing the size (store verification); bounded by `limit` bytes.
  void decompress_any(std::span<const std::uint8_t> frame, std::size_t limit, std::vector<std::uint8_t>& out,
                      const std::string& where);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Throws Errc::corrupt naming `where` unless `data` hashes to `id`.
void verify_chunk(Hasher& hasher, const ChunkId& id, std::span<const std::uint8_t> data, const std::string& where);

}  // namespace chunkbench
