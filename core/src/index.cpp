#include "chunkbench/index.hpp"

#include <cstring>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"

namespace chunkbench {

namespace {

constexpr std::size_t kHeaderSize = 48;
constexpr std::size_t kTableHeaderSize = 16;
constexpr std::size_t kItemSize = 40;

void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

std::string hex64(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

Index::Index(DigestKind digest, const ChunkSizes& s) : sizes(s) {
  flags = digest == DigestKind::sha512_256 ? kCasyncBlobFlags : (kCasyncBlobFlags & ~kFlagSha512_256);
}

std::vector<std::uint8_t> Index::serialize() const {
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderSize + kTableHeaderSize + kItemSize * (entries.size() + 1));
  put_u64(out, kHeaderSize);
  put_u64(out, kFormatIndex);
  put_u64(out, flags);
  put_u64(out, sizes.min);
  put_u64(out, sizes.avg);
  put_u64(out, sizes.max);
  put_u64(out, ~0ull);  // casync streams the table, so its size is written as "unknown"
  put_u64(out, kFormatTable);
  for (const auto& e : entries) {
    put_u64(out, e.end);
    out.insert(out.end(), e.id.bytes.begin(), e.id.bytes.end());
  }
  put_u64(out, 0);
  put_u64(out, 0);
  put_u64(out, kHeaderSize);
  put_u64(out, kTableHeaderSize + kItemSize * entries.size() + kItemSize);
  put_u64(out, kFormatTableTailMarker);
  return out;
}

void Index::write(const std::string& path) const { write_file_atomic(path, serialize()); }

Index Index::parse(std::span<const std::uint8_t> b, const std::string& name) {
  auto fail = [&](std::size_t off, const std::string& why) -> Error {
    return Error(Errc::invalid_input, name + ": byte offset " + std::to_string(off) + ": " + why);
  };
  const std::size_t n = b.size();
  if (n < kHeaderSize + kTableHeaderSize)
    throw fail(n, "truncated index: " + std::to_string(n) + " bytes, the header alone needs 64");
  const std::uint8_t* p = b.data();
  if (get_u64(p + 8) != kFormatIndex)
    throw fail(8, "not a casync index (element type " + hex64(get_u64(p + 8)) + ", expected " + hex64(kFormatIndex) + ")");
  if (get_u64(p) != kHeaderSize) throw fail(0, "index header size " + std::to_string(get_u64(p)) + ", expected 48");
  Index idx;
  idx.flags = get_u64(p + 16);
  idx.sizes = {get_u64(p + 24), get_u64(p + 32), get_u64(p + 40)};
  try {
    validate_chunk_sizes(idx.sizes, "chunk sizes");
  } catch (const Error& e) {
    throw fail(24, e.what());
  }
  if (get_u64(p + 48) != ~0ull) throw fail(48, "table size " + hex64(get_u64(p + 48)) + ", expected 0xffffffffffffffff");
  if (get_u64(p + 56) != kFormatTable) throw fail(56, "table type " + hex64(get_u64(p + 56)) + ", expected " + hex64(kFormatTable));

  std::size_t off = kHeaderSize + kTableHeaderSize;
  std::uint64_t prev = 0;
  // Each item and the tail are 40 bytes, so the count is known up front; reserve once.
  if (n >= off + kItemSize) idx.entries.reserve((n - off) / kItemSize - 1);
  while (true) {
    if (off + kItemSize > n)
      throw fail(off, "truncated index: " + std::to_string(n - off) + " bytes left, a table item or the tail needs 40");
    std::uint64_t end = get_u64(p + off);
    if (end == 0) break;
    if (end <= prev)
      throw fail(off, "chunk end offset " + std::to_string(end) + " does not increase (previous " + std::to_string(prev) + ")");
    if (end - prev > idx.sizes.max)
      throw fail(off, "chunk of " + std::to_string(end - prev) + " bytes exceeds the index's max chunk size " +
                          std::to_string(idx.sizes.max));
    IndexEntry e;
    e.end = end;
    std::memcpy(e.id.bytes.data(), p + off + 8, 32);
    idx.entries.push_back(e);
    prev = end;
    off += kItemSize;
  }
  const std::uint64_t count = idx.entries.size();
  if (get_u64(p + off + 8) != 0) throw fail(off + 8, "table tail: second zero fill is " + hex64(get_u64(p + off + 8)));
  if (get_u64(p + off + 16) != kHeaderSize)
    throw fail(off + 16, "table tail: index offset " + std::to_string(get_u64(p + off + 16)) + ", expected 48");
  std::uint64_t want_table = kTableHeaderSize + kItemSize * count + kItemSize;
  if (get_u64(p + off + 24) != want_table)
    throw fail(off + 24, "table tail: table size " + std::to_string(get_u64(p + off + 24)) + ", expected " +
                             std::to_string(want_table) + " for " + std::to_string(count) + " chunks");
  if (get_u64(p + off + 32) != kFormatTableTailMarker)
    throw fail(off + 32, "table tail marker " + hex64(get_u64(p + off + 32)) + ", expected " + hex64(kFormatTableTailMarker));
  off += kItemSize;
  if (off != n) throw fail(off, std::to_string(n - off) + " unexpected bytes after the table tail");
  return idx;
}

Index Index::read(const std::string& path) { return parse(read_whole_file(path), path); }

void require_digest(const Index& index, DigestKind requested, const std::string& name) {
  if (index.digest() != requested)
    throw Error(Errc::usage, name + ": index uses " + std::string(digest_name(index.digest())) + " chunk ids (flag word " +
                                 hex64(index.flags) + ") but " + digest_name(requested) + " was requested");
}

}  // namespace chunkbench
