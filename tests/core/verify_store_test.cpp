// verify -r keeps good chunks whatever the caller assumed about the store: its digest is found
// from a sample, a chunk is removed only when it is bad under both digests, and a store that
// looks misnamed (wrong layout, a directory above it, mostly "bad") stops the run untouched.
#include <gtest/gtest.h>

#include <filesystem>

#include "chunkbench/codec.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/imagegen.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/verify.hpp"
#include "test_util.hpp"

using namespace chunkbench;

namespace {

class VerifyStore : public testing::Test {
 protected:
  void SetUp() override {
    imagegen::SyntheticOptions o;
    o.bytes = 2ull << 20;
    o.seed = 21;
    imagegen::make_synthetic(o, v1);
    o.seed = 22;
    imagegen::make_synthetic(o, v2);
  }
  Index make(const std::string& image, const std::string& store_dir, DigestKind digest, bool compressed = true) {
    MakeOptions mo;
    mo.sizes = parse_chunk_sizes("16:64:256");
    mo.threads = 2;
    mo.digest = digest;
    LocalStore store(store_dir, compressed);
    return make_index(image, &store, mo);
  }
  static std::vector<ChunkId> listed(LocalStore& s) {
    std::vector<ChunkId> ids;
    s.list([&](const StoredChunk& c) { ids.push_back(c.id); });
    return ids;
  }
  static VerifyOptions repair(std::optional<DigestKind> digest = {}) {
    VerifyOptions o;
    o.digest = digest;
    o.threads = 2;
    o.repair = true;
    return o;
  }
  // Puts other (valid zstd) content under the chunk's name.
  static void corrupt(LocalStore& s, const ChunkId& id, std::uint64_t seed) {
    std::vector<std::uint8_t> z;
    ChunkCodec().compress(test::random_data(5000, seed), z);
    test::write_file(s.path_of(id), z);
  }
  test::TempDir dir;
  std::string v1 = dir / "v1.img", v2 = dir / "v2.img", store_dir = dir / "store";
};

TEST_F(VerifyStore, Sha256StoreWithoutDigestKeepsAllChunks) {
  make(v1, store_dir, DigestKind::sha256);
  LocalStore store(store_dir);
  const auto before = listed(store);
  ASSERT_GT(before.size(), 10u);
  auto r = verify_store(store, repair());
  EXPECT_EQ(r.digest, DigestKind::sha256);
  EXPECT_EQ(r.checked, before.size());
  EXPECT_TRUE(r.bad.empty());
  EXPECT_EQ(r.removed, 0u);
  EXPECT_EQ(listed(store).size(), before.size());
}

TEST_F(VerifyStore, WrongDigestGivenIsRefusedWithNothingRemoved) {
  make(v1, store_dir, DigestKind::sha512_256);
  LocalStore store(store_dir);
  const auto before = listed(store).size();
  try {
    verify_store(store, repair(DigestKind::sha256));
    ADD_FAILURE() << "verify judged a sha512-256 store by sha256";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::usage);
    EXPECT_NE(std::string(e.what()).find("sha512-256"), std::string::npos) << e.what();
  }
  EXPECT_EQ(listed(store).size(), before);
}

TEST_F(VerifyStore, MixedStoreRemovesJustTheCorruptChunk) {
  Index a = make(v1, store_dir, DigestKind::sha512_256);
  Index b = make(v2, store_dir, DigestKind::sha256);
  LocalStore store(store_dir);
  const auto before = listed(store).size();
  const ChunkId victim = b.id(b.size() / 2);
  corrupt(store, victim, 5);
  auto r = verify_store(store, repair());
  ASSERT_EQ(r.bad.size(), 1u);
  EXPECT_NE(r.bad[0].path.find(victim.hex()), std::string::npos) << r.bad[0].path;
  EXPECT_EQ(r.removed, 1u);
  EXPECT_GT(r.other_digest, 0u);
  EXPECT_FALSE(store.has(victim));
  EXPECT_EQ(listed(store).size(), before - 1);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(store.has(a.id(i)));
}

TEST_F(VerifyStore, MostlyBadSampleStopsWithoutRemoving) {
  make(v1, store_dir, DigestKind::sha512_256);
  LocalStore store(store_dir);
  const auto ids = listed(store);
  for (std::size_t i = 0; i < ids.size() * 3 / 4; ++i) corrupt(store, ids[i], 100 + i);
  try {
    verify_store(store, repair());
    ADD_FAILURE() << "verify went on with most of the store failing";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_input);
    EXPECT_NE(std::string(e.what()).find("no chunk was judged or removed"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(listed(store).size(), ids.size());
}

TEST_F(VerifyStore, StoreWithNoChunkInItsLayoutIsAnError) {
  make(v1, store_dir, DigestKind::sha512_256, false);
  auto message_of = [](ListStore& s) -> std::string {
    try {
      verify_store(s, repair());
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::invalid_input);
      return e.what();
    }
    return "";
  };
  LocalStore as_compressed(store_dir, true);
  const std::string wrong_layout = message_of(as_compressed);
  EXPECT_NE(wrong_layout.find("uncompressed"), std::string::npos) << "'" << wrong_layout << "'";
  LocalStore above(dir.path(), false);
  const std::string too_high = message_of(above);
  EXPECT_NE(too_high.find(store_dir), std::string::npos) << "'" << too_high << "'";
  LocalStore uncompressed(store_dir, false);
  EXPECT_TRUE(verify_store(uncompressed, repair()).bad.empty());
}

TEST_F(VerifyStore, CliKeepsASha256StoreAndFailsOnAWrongLayout) {
  make(v1, store_dir, DigestKind::sha256);
  LocalStore store(store_dir);
  const auto before = listed(store).size();
  auto ok = test::run(test::chunkbench_bin() + " verify -r -n 2 -s " + store_dir);
  EXPECT_EQ(ok.status, 0) << ok.out;
  EXPECT_EQ(listed(store).size(), before);
  auto wrong = test::run(test::chunkbench_bin() + " verify -u -s " + store_dir);
  EXPECT_NE(wrong.status, 0) << wrong.out;
  EXPECT_NE(wrong.out.find("compressed .cacnk layout"), std::string::npos) << wrong.out;
}

}  // namespace
