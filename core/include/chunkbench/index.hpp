#pragma once
// casync/desync index files (.caibx for blobs, .caidx for catar streams): a header, a table of
// (end offset, chunk id) and a tail. Written byte-identical to casync; read strictly, with every
// fault reported by file name and byte offset.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chunkbench/chunker.hpp"
#include "chunkbench/digest.hpp"

namespace chunkbench {

inline constexpr std::uint64_t kFormatIndex = 0x96824d9c7b129ff9ull;
inline constexpr std::uint64_t kFormatTable = 0xe75b9e112f17417dull;
inline constexpr std::uint64_t kFormatTableTailMarker = 0x4b4f050e5549ecd1ull;
inline constexpr std::uint64_t kFlagExcludeFile = 0x1000000000000000ull;
inline constexpr std::uint64_t kFlagSha512_256 = 0x2000000000000000ull;
inline constexpr std::uint64_t kFlagExcludeSubmounts = 0x4000000000000000ull;
inline constexpr std::uint64_t kFlagExcludeNodump = 0x8000000000000000ull;
// What `casync make x.caibx blob` writes; desync writes 0xA000000000000000. Readers accept both.
inline constexpr std::uint64_t kCasyncBlobFlags = kFlagExcludeNodump | kFlagExcludeFile | kFlagSha512_256;

struct IndexEntry {
  std::uint64_t end;  // exclusive end offset of the chunk in the blob
  ChunkId id;
};

class Index {
 public:
  Index() = default;
  Index(DigestKind digest, const ChunkSizes& sizes);

  std::uint64_t flags = kCasyncBlobFlags;
  ChunkSizes sizes;
  std::vector<IndexEntry> entries;

  DigestKind digest() const noexcept {
    return (flags & kFlagSha512_256) ? DigestKind::sha512_256 : DigestKind::sha256;
  }
  std::size_t size() const noexcept { return entries.size(); }
  std::uint64_t blob_size() const noexcept { return entries.empty() ? 0 : entries.back().end; }
  // Start of chunk i; start(size()) is the blob size, so [start(a), start(b)) spans chunks a..b-1.
  std::uint64_t start(std::size_t i) const noexcept { return i == 0 ? 0 : entries[i - 1].end; }
  std::uint64_t length(std::size_t i) const noexcept { return entries[i].end - start(i); }
  const ChunkId& id(std::size_t i) const noexcept { return entries[i].id; }

  std::vector<std::uint8_t> serialize() const;
  // Written to a temporary name beside `path` and renamed, so a reader never sees half an index.
  void write(const std::string& path) const;

  // Parses and validates; `name` (a path or URL) prefixes every error with the byte offset.
  static Index parse(std::span<const std::uint8_t> bytes, const std::string& name);
  static Index read(const std::string& path);
};

// Throws a usage error naming `name` when the index's digest flag disagrees with `requested`.
void require_digest(const Index& index, DigestKind requested, const std::string& name);

}  // namespace chunkbench
