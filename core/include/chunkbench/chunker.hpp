#pragma once
// casync's buzhash content-defined chunker, boundary-for-boundary identical to Debian's casync
// (including its test at exactly `min` bytes). Chunking is memoryless: a boundary
// depends only on the chunk's own start, so a chunker is reset after every cut.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace chunkbench {

struct ChunkSizes {
  std::uint64_t min = 16 * 1024;
  std::uint64_t avg = 64 * 1024;
  std::uint64_t max = 256 * 1024;

  std::string str() const;  // "16:64:256" (KiB) when exact, else bytes with suffixes
  bool operator==(const ChunkSizes&) const = default;
};

// desync's `-m` form: "16:64:256" are KiB; a suffix makes a number bytes-with-unit ("1M:2M:4M",
// "64K", "65536B"). A single value is the average, with min = avg/4 and max = avg*4.
// Throws a usage error naming the bad part.
ChunkSizes parse_chunk_sizes(std::string_view text);
// Range checks casync applies (1 <= min <= avg <= max <= 128 MiB) plus the discriminator's
// validity (avg well below ~9.3 MB, where its fit breaks down). `what` names the source for errors.
void validate_chunk_sizes(const ChunkSizes& s, std::string_view what);
// casync's CA_CHUNKER_DISCRIMINATOR_FROM_AVG, clamped to [min, max] as casync does.
std::uint64_t chunk_discriminator(const ChunkSizes& s);

class Chunker {
 public:
  static constexpr std::size_t kWindow = 48;
  explicit Chunker(const ChunkSizes& sizes);

  // `chunk` starts at the current chunk's first byte and holds every byte received for it so far
  // (it may grow between calls; the prefix must not change). Returns the chunk's length once a
  // boundary lies inside `chunk` (or `eof` and bytes remain), else 0 meaning "give me more".
  std::size_t next(std::span<const std::uint8_t> chunk, bool eof);
  const ChunkSizes& sizes() const noexcept { return sizes_; }

 private:
  bool boundary(std::uint32_t h) const noexcept;

  ChunkSizes sizes_;
  std::uint32_t d_;
  std::uint64_t fastmod_m_;
  std::size_t first_test_;  // first length at which casync tests: max(min, window)
  std::size_t pos_ = 0;     // 0: nothing hashed yet; else length whose window `h_` covers
  std::uint32_t h_ = 0;
};

// Boundaries (end offsets) of all chunks of an in-memory blob; for tests and small inputs.
std::vector<std::uint64_t> chunk_boundaries(std::span<const std::uint8_t> data, const ChunkSizes& sizes);

// Streams a file through a chunker with a buffer of O(max chunk) bytes, whatever the file size.
class ChunkReader {
 public:
  ChunkReader(int fd, std::string path, const ChunkSizes& sizes, std::uint64_t start = 0,
              std::size_t read_block = 4u << 20);
  // The next chunk: its offset in the file and its bytes (valid until the next call). False at end.
  bool next(std::uint64_t& offset, std::span<const std::uint8_t>& chunk);

 private:
  int fd_;
  std::string path_;
  Chunker chunker_;
  std::vector<std::uint8_t> buf_;
  std::size_t begin_ = 0, end_ = 0;
  std::uint64_t file_pos_;  // file offset of buf_[end_]
  std::size_t block_;
  bool eof_ = false;
};

// The casync buzhash table: 256 x u32, a compatibility constant.
extern const std::uint32_t kBuzhashTable[256];

}  // namespace chunkbench
