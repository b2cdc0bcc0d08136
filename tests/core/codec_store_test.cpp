#include <gtest/gtest.h>
#include <zstd.h>

#include <filesystem>
#include <thread>

#include "chunkbench/codec.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/verify.hpp"
#include "test_util.hpp"

using namespace chunkbench;

namespace {

std::vector<std::uint8_t> zstd_frame(const std::vector<std::uint8_t>& data, bool content_size, bool checksum) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, content_size ? 1 : 0);
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum ? 1 : 0);
  std::vector<std::uint8_t> out(ZSTD_compressBound(data.size()));
  // Streaming end without a pledged size writes no content size, like casync's frames.
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  while (ZSTD_compressStream2(c, &ob, &in, ZSTD_e_end) != 0) {
  }
  ZSTD_freeCCtx(c);
  out.resize(ob.pos);
  return out;
}

std::size_t count_files(const std::string& dir) {
  std::size_t n = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir))
    if (e.is_regular_file()) ++n;
  return n;
}

}  // namespace

TEST(Codec, ReadsFramesWithAndWithoutSizeAndChecksum) {
  auto data = test::random_data(100000, 1);
  for (int i = 0; i < 128; ++i) data[static_cast<std::size_t>(i) * 700] = 0;  // some structure
  ChunkCodec codec;
  std::vector<std::uint8_t> out;
  for (bool cs : {false, true})
    for (bool ck : {false, true}) {
      auto frame = zstd_frame(data, cs, ck);
      codec.decompress(frame, data.size(), out, "x.cacnk");
      EXPECT_EQ(out, data) << cs << ck;
    }
}

TEST(Codec, CasyncStyleHeaderHasNoContentSize) {
  auto frame = zstd_frame(test::random_data(5000, 2), false, false);
  ASSERT_GE(frame.size(), 5u);
  EXPECT_EQ(frame[4] & 0xc4, 0);  // descriptor: no FCS, no checksum
}

TEST(Codec, ReadsConcatenatedFrames) {
  auto a = test::random_data(3000, 3), b = test::random_data(5000, 4);
  auto fa = zstd_frame(a, true, true), fb = zstd_frame(b, false, false);
  fa.insert(fa.end(), fb.begin(), fb.end());
  a.insert(a.end(), b.begin(), b.end());
  ChunkCodec codec;
  std::vector<std::uint8_t> out;
  codec.decompress(fa, a.size(), out, "cat.cacnk");
  EXPECT_EQ(out, a);
}

TEST(Codec, RejectsWrongLengthTruncationAndGarbage) {
  auto data = test::random_data(10000, 5);
  ChunkCodec codec;
  std::vector<std::uint8_t> frame, out;
  codec.compress(data, frame);
  auto expect_corrupt = [&](std::span<const std::uint8_t> f, std::size_t size, const std::string& words) {
    try {
      codec.decompress(f, size, out, "store/ab12/ab12.cacnk");
      ADD_FAILURE() << words;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::corrupt);
      std::string m = e.what();
      EXPECT_NE(m.find("store/ab12/ab12.cacnk"), std::string::npos) << m;
      EXPECT_NE(m.find(words), std::string::npos) << m;
    }
  };
  expect_corrupt(frame, data.size() - 1, "more than the expected");
  expect_corrupt(frame, data.size() + 1, "decompressed to 10000 bytes");
  expect_corrupt(std::span(frame).first(frame.size() - 3), data.size(), "truncated");
  std::vector<std::uint8_t> garbage(100, 0x55);
  expect_corrupt(garbage, data.size(), "bad zstd data");
  expect_corrupt({}, data.size(), "empty chunk file");
}

TEST(Codec, VerifyNamesChunkAndPlace) {
  Hasher h(DigestKind::sha512_256);
  auto data = test::random_data(1000, 6);
  ChunkId id = h.digest(data);
  EXPECT_NO_THROW(verify_chunk(h, id, data, "here"));
  data[0] ^= 1;
  try {
    verify_chunk(h, id, data, "https://x/store/abcd.cacnk");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::corrupt);
    EXPECT_NE(std::string(e.what()).find(id.hex()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("https://x/store/abcd.cacnk"), std::string::npos);
  }
}

TEST(Digest, KnownZeroChunkIds) {
  Hasher h(DigestKind::sha512_256);
  EXPECT_EQ(h.digest(std::vector<std::uint8_t>(262144, 0)).hex(),
            "1c8109946feed9f9e9fe4b5144d90f05a50fb3275e848cb72f4b9546d8c533f2");
  EXPECT_EQ(h.digest(std::vector<std::uint8_t>(4194304, 0)).hex(),
            "ee5d6d04b5905ce064871f72665b0e066d200da581c98c69bdf7e6292b69df80");
  Hasher s(DigestKind::sha256);
  EXPECT_EQ(s.digest({}).hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Digest, HexRoundTripAndErrors) {
  Hasher h(DigestKind::sha256);
  ChunkId id = h.digest(test::random_data(10, 1));
  EXPECT_EQ(ChunkId::from_hex(id.hex()), id);
  EXPECT_THROW(ChunkId::from_hex("xyz"), Error);
  EXPECT_THROW(ChunkId::from_hex(std::string(64, 'g')), Error);
  EXPECT_THROW(parse_digest("md5"), Error);
}

TEST(LocalStore, LayoutAndRoundTrip) {
  test::TempDir dir;
  LocalStore store(dir / "s");
  Hasher h(DigestKind::sha512_256);
  ChunkCodec codec;
  auto data = test::random_data(5000, 7);
  ChunkId id = h.digest(data);
  EXPECT_FALSE(store.has(id));
  EXPECT_FALSE(store.get(id).has_value());
  ChunkData cd;
  codec.compress(data, cd.bytes);
  store.put(id, cd);
  std::string hex = id.hex();
  EXPECT_TRUE(std::filesystem::exists(dir / "s/" + hex.substr(0, 4) + "/" + hex + ".cacnk"));
  EXPECT_TRUE(store.has(id));
  auto got = store.get(id);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->compressed);
  std::vector<std::uint8_t> out;
  codec.decompress(got->bytes, data.size(), out, "t");
  EXPECT_EQ(out, data);

  // An uncompressed store converts what it is given and names files without extension.
  LocalStore raw(dir / "raw", false);
  raw.put(id, cd);
  EXPECT_EQ(test::read_file(dir / "raw/" + hex.substr(0, 4) + "/" + hex), data);
}

TEST(LocalStore, ConcurrentWritersOfOneChunkAreSafe) {
  test::TempDir dir;
  LocalStore store(dir / "s");
  Hasher h(DigestKind::sha512_256);
  auto data = test::random_data(200000, 8);
  ChunkId id = h.digest(data);
  ChunkData cd;
  ChunkCodec().compress(data, cd.bytes);
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 50; ++i) store.put(id, cd);
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(count_files(dir / "s"), 1u) << "temporary files left behind";
  EXPECT_EQ(store.get(id)->bytes, cd.bytes);
}

TEST(LocalStore, VerifyFindsAndRepairsBadChunks) {
  test::TempDir dir;
  LocalStore store(dir / "s");
  Hasher h(DigestKind::sha512_256);
  ChunkCodec codec;
  std::vector<ChunkId> ids;
  for (int i = 0; i < 20; ++i) {
    auto data = test::random_data(3000 + i, 100 + i);
    ChunkData cd;
    codec.compress(data, cd.bytes);
    ids.push_back(h.digest(data));
    store.put(ids.back(), cd);
  }
  // One chunk with other content under its name, one that is not zstd at all.
  ChunkData other;
  codec.compress(test::random_data(100, 1), other.bytes);
  test::write_file(store.path_of(ids[3]), other.bytes);
  test::write_file(store.path_of(ids[7]), std::vector<std::uint8_t>(50, 1));
  auto opts = [](bool repair) {
    VerifyOptions o;
    o.digest = DigestKind::sha512_256;
    o.threads = 2;
    o.repair = repair;
    return o;
  };
  auto r = verify_store(store, opts(false));
  EXPECT_EQ(r.checked, 20u);
  ASSERT_EQ(r.bad.size(), 2u);
  r = verify_store(store, opts(true));
  EXPECT_EQ(r.removed, 2u);
  EXPECT_FALSE(store.has(ids[3]));
  EXPECT_TRUE(store.has(ids[4]));
  EXPECT_TRUE(verify_store(store, opts(false)).bad.empty());
}

TEST(LocalStore, PruneKeepsReferencedChunks) {
  test::TempDir dir;
  LocalStore store(dir / "s");
  Hasher h(DigestKind::sha512_256);
  std::unordered_set<ChunkId, ChunkIdHash> keep;
  for (int i = 0; i < 10; ++i) {
    auto data = test::random_data(1000, 200 + i);
    ChunkData cd;
    ChunkCodec().compress(data, cd.bytes);
    ChunkId id = h.digest(data);
    store.put(id, cd);
    if (i % 2 == 0) keep.insert(id);
  }
  auto dry = store.prune(keep, true);
  EXPECT_EQ(dry.removed, 5u);
  EXPECT_EQ(count_files(dir / "s"), 10u);
  auto st = store.prune(keep, false);
  EXPECT_EQ(st.kept, 5u);
  EXPECT_EQ(count_files(dir / "s"), 5u);
  for (const auto& id : keep) EXPECT_TRUE(store.has(id));
}

TEST(Codec, DecompressWithoutKnownSizeGrowsToTheLimitOnly) {
  std::vector<std::uint8_t> zeros(1 << 20, 0);  // compresses to a few bytes: the buffer must grow
  ChunkCodec codec;
  std::vector<std::uint8_t> frame, out;
  codec.compress(zeros, frame);
  ASSERT_LT(frame.size(), 1000u);
  codec.decompress_any(frame, 2u << 20, out, "z.cacnk");
  EXPECT_EQ(out, zeros);
  try {
    codec.decompress_any(frame, 512u << 10, out, "z.cacnk");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than the expected 524288 bytes"), std::string::npos) << e.what();
  }
}
