#include "chunkbench/index.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "chunkbench/error.hpp"
#include "test_util.hpp"

using namespace chunkbench;

namespace {

Index sample(std::size_t n) {
  Index idx(DigestKind::sha512_256, ChunkSizes{16384, 65536, 262144});
  std::uint64_t end = 0;
  for (std::size_t i = 0; i < n; ++i) {
    end += 20000 + i * 7;
    IndexEntry e{end, {}};
    e.id.bytes[0] = static_cast<std::uint8_t>(i);
    e.id.bytes[31] = 0xab;
    idx.entries.push_back(e);
  }
  return idx;
}

void put_u64(std::vector<std::uint8_t>& b, std::size_t off, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// Parses `bytes` and expects an invalid-input error mentioning the file name and `offset`.
void expect_rejected(const std::vector<std::uint8_t>& bytes, std::size_t offset, const std::string& words) {
  try {
    Index::parse(bytes, "bad.caibx");
    ADD_FAILURE() << "accepted an index that should fail: " << words;
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(e.code(), Errc::invalid_input);
    EXPECT_NE(msg.find("bad.caibx: byte offset " + std::to_string(offset) + ":"), std::string::npos) << msg;
    EXPECT_NE(msg.find(words), std::string::npos) << msg;
  }
}

}  // namespace

TEST(Index, LayoutMatchesCasync) {
  auto idx = sample(3);
  auto b = idx.serialize();
  ASSERT_EQ(b.size(), 104u + 40 * 3);
  const std::uint8_t header[] = {0x30, 0, 0, 0, 0, 0, 0, 0, 0xf9, 0x9f, 0x12, 0x7b, 0x9c, 0x4d, 0x82, 0x96,
                                 0, 0, 0, 0, 0, 0, 0, 0xb0};
  EXPECT_EQ(0, std::memcmp(b.data(), header, sizeof header));
  auto back = Index::parse(b, "x.caibx");
  EXPECT_EQ(back.entries.size(), 3u);
  EXPECT_EQ(back.flags, kCasyncBlobFlags);
  EXPECT_EQ(back.serialize(), b);
  EXPECT_EQ(back.start(1), idx.entries[0].end);
  EXPECT_EQ(back.length(2), idx.entries[2].end - idx.entries[1].end);
}

TEST(Index, EmptyBlobIs104Bytes) {
  Index idx(DigestKind::sha256, ChunkSizes{});
  auto b = idx.serialize();
  EXPECT_EQ(b.size(), 104u);
  auto back = Index::parse(b, "e.caibx");
  EXPECT_EQ(back.size(), 0u);
  EXPECT_EQ(back.digest(), DigestKind::sha256);
}

TEST(Index, AcceptsDesyncFlags) {
  auto b = sample(2).serialize();
  put_u64(b, 16, 0xA000000000000000ull);
  auto idx = Index::parse(b, "desync.caibx");
  EXPECT_EQ(idx.digest(), DigestKind::sha512_256);
  put_u64(b, 16, 0x8000000000000000ull);
  EXPECT_EQ(Index::parse(b, "desync.caibx").digest(), DigestKind::sha256);
}

TEST(Index, DigestMismatchIsAClearError) {
  auto idx = sample(1);
  try {
    require_digest(idx, DigestKind::sha256, "x.caibx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.caibx: index uses sha512-256"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(require_digest(idx, DigestKind::sha512_256, "x.caibx"));
}

TEST(Index, RejectsTruncation) {
  auto b = sample(4).serialize();
  expect_rejected(std::vector<std::uint8_t>(b.begin(), b.begin() + 30), 30, "truncated");
  expect_rejected(std::vector<std::uint8_t>(b.begin(), b.begin() + 64 + 40 * 2 + 17), 64 + 40 * 2, "truncated");
  expect_rejected(std::vector<std::uint8_t>(b.begin(), b.end() - 1), 64 + 40 * 4, "truncated");
}

TEST(Index, RejectsTrailingBytes) {
  auto b = sample(2).serialize();
  b.push_back(0);
  expect_rejected(b, 104 + 80, "unexpected bytes after the table tail");
}

TEST(Index, RejectsWrongMagic) {
  auto b = sample(2).serialize();
  put_u64(b, 8, 0x1234);
  expect_rejected(b, 8, "not a casync index");
  b = sample(2).serialize();
  put_u64(b, 56, 0x1234);
  expect_rejected(b, 56, "table type");
  b = sample(2).serialize();
  put_u64(b, 48, 100);
  expect_rejected(b, 48, "table size");
}

TEST(Index, RejectsNonIncreasingOffsets) {
  auto b = sample(3).serialize();
  put_u64(b, 64 + 40, 100);  // second end below the first
  expect_rejected(b, 64 + 40, "does not increase");
}

TEST(Index, RejectsChunkOverMax) {
  auto b = sample(3).serialize();
  put_u64(b, 64 + 80, 40000 + 300000);
  expect_rejected(b, 64 + 80, "exceeds the index's max chunk size");
}

TEST(Index, RejectsBadSizesInHeader) {
  auto b = sample(1).serialize();
  put_u64(b, 24, 1 << 20);  // min > avg
  expect_rejected(b, 24, "min <= avg <= max");
}

TEST(Index, RejectsBadTail) {
  const std::size_t tail = 64 + 40 * 2;
  auto b = sample(2).serialize();
  put_u64(b, tail + 32, 0x99);
  expect_rejected(b, tail + 32, "tail marker");
  b = sample(2).serialize();
  put_u64(b, tail + 24, 7);
  expect_rejected(b, tail + 24, "table size 7");
  b = sample(2).serialize();
  put_u64(b, tail + 16, 47);
  expect_rejected(b, tail + 16, "index offset 47");
  b = sample(2).serialize();
  put_u64(b, tail + 8, 1);
  expect_rejected(b, tail + 8, "second zero fill");
}

TEST(Index, WriteIsAtomicAndLeavesNoTemp) {
  test::TempDir dir;
  sample(5).write(dir / "a.caibx");
  EXPECT_EQ(Index::read(dir / "a.caibx").size(), 5u);
  std::size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) (void)e, ++files;
  EXPECT_EQ(files, 1u);
}

TEST(Index, ReadNamesMissingFile) {
  try {
    Index::read("/nonexistent/x.caibx");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::not_found);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.caibx"), std::string::npos);
  }
}
