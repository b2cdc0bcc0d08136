#include "chunkbench/chunker.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "chunkbench/error.hpp"
#include "test_util.hpp"

using namespace chunkbench;

TEST(ChunkSizes, ParsesDesyncKibForm) {
  auto s = parse_chunk_sizes("16:64:256");
  EXPECT_EQ(s.min, 16u * 1024);
  EXPECT_EQ(s.avg, 64u * 1024);
  EXPECT_EQ(s.max, 256u * 1024);
  EXPECT_EQ(s.str(), "16:64:256");
}

TEST(ChunkSizes, ParsesSuffixedSizes) {
  auto s = parse_chunk_sizes("1M:2M:4M");
  EXPECT_EQ(s.min, 1u << 20);
  EXPECT_EQ(s.avg, 2u << 20);
  EXPECT_EQ(s.max, 4u << 20);
  auto b = parse_chunk_sizes("64B:256B:1024B");
  EXPECT_EQ(b.min, 64u);
  EXPECT_EQ(b.max, 1024u);
  auto one = parse_chunk_sizes("64K");
  EXPECT_EQ(one.min, 16u * 1024);
  EXPECT_EQ(one.max, 256u * 1024);
}

TEST(ChunkSizes, RejectsBadInputNamingIt) {
  for (const char* bad : {"", "16:64", "a:b:c", "64:16:256", "16:64:256X", "1:2:300000000", "8M:16M:32M", "1B:2B:4B"}) {
    try {
      parse_chunk_sizes(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::usage);
      EXPECT_NE(std::string(e.what()).find(std::string("'") + bad + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(Chunker, DiscriminatorMatchesCasyncTable) {
  EXPECT_EQ(chunk_discriminator({4096, 16384, 65536}), 12318u);
  EXPECT_EQ(chunk_discriminator({16384, 65536, 262144}), 49535u);
  EXPECT_EQ(chunk_discriminator({65536, 262144, 1048576}), 202440u);
  EXPECT_EQ(chunk_discriminator({262144, 1048576, 4194304}), 886711u);
  EXPECT_EQ(chunk_discriminator({1 << 20, 2 << 20, 4 << 20}), 2030716u);
  EXPECT_EQ(chunk_discriminator({1 << 20, 4 << 20, 16 << 20}), 5721670u);
}

TEST(Chunker, TableSpotValues) {
  EXPECT_EQ(kBuzhashTable[0], 0x458be752u);
  EXPECT_EQ(kBuzhashTable[1], 0xc10748ccu);
  EXPECT_EQ(kBuzhashTable[255], 0xd95ddf11u);
}

TEST(Chunker, TableMatchesInstalledCasync) {
  auto bin = test::read_file("/usr/bin/casync");
  if (bin.empty()) GTEST_SKIP() << "casync is not installed (/usr/bin/casync); run scripts/setup.sh";
  std::uint8_t table[1024];
  for (int i = 0; i < 256; ++i)
    for (int k = 0; k < 4; ++k) table[4 * i + k] = static_cast<std::uint8_t>(kBuzhashTable[i] >> (8 * k));
  bool found = false;
  for (std::size_t i = 0; i + 1024 <= bin.size() && !found; ++i)
    found = bin[i] == table[0] && std::memcmp(&bin[i], table, 1024) == 0;
  EXPECT_TRUE(found) << "the embedded buzhash table differs from the one in /usr/bin/casync";
}

TEST(Chunker, BoundariesRespectLimitsAndCoverInput) {
  auto data = test::random_data(3'000'000, 11);
  ChunkSizes s{64, 256, 1024};
  auto ends = chunk_boundaries(data, s);
  ASSERT_FALSE(ends.empty());
  EXPECT_EQ(ends.back(), data.size());
  std::uint64_t prev = 0;
  std::size_t at_min = 0;
  for (std::size_t i = 0; i < ends.size(); ++i) {
    std::uint64_t len = ends[i] - prev;
    EXPECT_LE(len, s.max);
    if (i + 1 < ends.size()) {
      EXPECT_GE(len, s.min);
    }
    if (len == s.min) ++at_min;
    prev = ends[i];
  }
  // casync tests for a boundary at exactly min; desync <= 1.0.4 never cut there.
  EXPECT_GT(at_min, 0u);
}

TEST(Chunker, StreamingEqualsWholeBuffer) {
  auto data = test::random_data(2'000'000, 5);
  ChunkSizes s{1024, 4096, 16384};
  auto whole = chunk_boundaries(data, s);
  test::TempDir dir;
  test::write_file(dir / "blob", data);
  FILE* f = std::fopen((dir / "blob").c_str(), "rb");
  ASSERT_NE(f, nullptr);
  // A small read block makes chunks straddle refills.
  ChunkReader reader(fileno(f), dir / "blob", s, 0, 5000);
  std::vector<std::uint64_t> streamed;
  std::uint64_t off;
  std::span<const std::uint8_t> chunk;
  while (reader.next(off, chunk)) {
    EXPECT_EQ(off, streamed.empty() ? 0 : streamed.back());
    EXPECT_EQ(0, std::memcmp(chunk.data(), data.data() + off, chunk.size()));
    streamed.push_back(off + chunk.size());
  }
  std::fclose(f);
  EXPECT_EQ(streamed, whole);
}

TEST(Chunker, EdgeSizes) {
  ChunkSizes s{64, 256, 1024};
  EXPECT_TRUE(chunk_boundaries({}, s).empty());
  for (std::size_t n : {std::size_t{1}, std::size_t{47}, std::size_t{63}, std::size_t{64}, std::size_t{65},
                        std::size_t{1024}, std::size_t{1025}}) {
    auto zeros = std::vector<std::uint8_t>(n, 0);
    auto ends = chunk_boundaries(zeros, s);
    ASSERT_FALSE(ends.empty());
    EXPECT_EQ(ends.back(), n);
    EXPECT_EQ(ends.size(), n > 1024 ? 2u : 1u) << n;  // zeros never hit the predicate: cut at max
  }
}
