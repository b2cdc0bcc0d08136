// make -> extract through the library and the CLI: seeds, several stores, resume, and every way
// an extract can fail leaving no output and no temporary file behind.
#include <gtest/gtest.h>

#include <filesystem>

#include "chunkbench/assembler.hpp"
#include "chunkbench/codec.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/imagegen.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/make.hpp"
#include "test_util.hpp"

using namespace chunkbench;
namespace fs = std::filesystem;

namespace {

class Extract : public testing::Test {
 protected:
  void SetUp() override {
    imagegen::SyntheticOptions o;
    o.bytes = 8ull << 20;
    o.seed = 4;
    imagegen::make_synthetic(o, v1);
    imagegen::mutate_synthetic(v1, v2, 0.05, 5);
    opt.sizes = parse_chunk_sizes("16:64:256");
    opt.threads = 2;
  }
  Index make(const std::string& image, const std::string& store_dir, MakeStats* st = nullptr) {
    LocalStore store(store_dir);
    return make_index(image, &store, opt, st);
  }
  std::size_t entries_in(const std::string& d) {
    std::size_t n = 0;
    for (auto& e : fs::directory_iterator(d)) (void)e, ++n;
    return n;
  }
  test::TempDir dir;
  std::string v1 = dir / "v1.img", v2 = dir / "v2.img";
  MakeOptions opt;
  ExtractOptions xo = [] {
    ExtractOptions o;
    o.threads = 2;
    return o;
  }();
};

TEST_F(Extract, MakeSkipsChunksAlreadyStored) {
  MakeStats a, b;
  make(v1, dir / "store", &a);
  EXPECT_GT(a.stored, 0u);
  EXPECT_EQ(a.stored + a.already_present, a.unique);
  make(v1, dir / "store", &b);
  EXPECT_EQ(b.stored, 0u);
  EXPECT_EQ(b.already_present, a.unique);
  EXPECT_EQ(b.chunks, a.chunks);
}

TEST_F(Extract, RoundTripFromStore) {
  Index idx = make(v2, dir / "store");
  LocalStore store(dir / "store");
  auto st = extract(idx, dir / "out.img", {}, &store, xo);
  EXPECT_EQ(test::read_file(dir / "out.img"), test::read_file(v2));
  EXPECT_EQ(st.bytes_total, fs::file_size(v2));
  EXPECT_EQ(st.bytes_from_store + st.bytes_zero, st.bytes_total);
}

TEST_F(Extract, SeedSuppliesSharedChunks) {
  Index i1 = make(v1, dir / "old");
  i1.write(v1 + ".caibx");
  Index i2 = make(v2, dir / "store");
  LocalStore store(dir / "store");
  std::vector<Seed> seeds{load_seed(v1, i2, 2)};
  EXPECT_FALSE(seeds[0].index.empty()) << "the index beside the seed should be used";
  auto st = extract(i2, dir / "out.img", seeds, &store, xo);
  EXPECT_EQ(test::read_file(dir / "out.img"), test::read_file(v2));
  EXPECT_GT(st.bytes_from_seeds, st.bytes_total / 2);
  EXPECT_LT(st.bytes_from_store, st.bytes_total / 4);
  EXPECT_EQ(st.bytes_from_seeds + st.bytes_from_store + st.bytes_zero, st.bytes_total);
}

TEST_F(Extract, SeedWithoutIndexIsChunkedOnTheFly) {
  Index i2 = make(v2, dir / "store");
  LocalStore store(dir / "store");
  std::vector<Seed> seeds{load_seed(v1, i2, 2)};
  EXPECT_TRUE(seeds[0].index.empty());
  auto st = extract(i2, dir / "out.img", seeds, &store, xo);
  EXPECT_EQ(test::read_file(dir / "out.img"), test::read_file(v2));
  EXPECT_GT(st.bytes_from_seeds, st.bytes_total / 2);
}

TEST_F(Extract, ChangedSeedFallsBackToStore) {
  Index i1 = make(v1, dir / "store");
  i1.write(v1 + ".caibx");
  Index i2 = make(v2, dir / "store");
  // The seed changes after it was indexed: its index now lies about some chunks.
  auto bytes = test::read_file(v1);
  for (std::size_t i = 0; i < bytes.size(); i += 1 << 20) bytes[i] ^= 0xff;
  test::write_file(v1, bytes);
  LocalStore store(dir / "store");
  auto st = extract(i2, dir / "out.img", {load_seed(v1, i2, 2)}, &store, xo);
  EXPECT_GT(st.seed_chunks_invalid, 0u);
  EXPECT_EQ(test::read_file(dir / "out.img"), test::read_file(v2));
}

TEST_F(Extract, MissingChunkGoesToNextStore) {
  Index idx = make(v2, dir / "a");
  fs::copy(dir / "a", dir / "b", fs::copy_options::recursive);
  // Store a lacks half of the chunks, store b has them all.
  std::size_t removed = 0;
  for (std::size_t i = 0; i < idx.size(); i += 2)
    removed += fs::remove(LocalStore(dir / "a").path_of(idx.id(i)));
  ASSERT_GT(removed, 0u);
  RouterStore router({std::make_shared<LocalStore>(dir / "a"), std::make_shared<LocalStore>(dir / "b")});
  extract(idx, dir / "out.img", {}, &router, xo);
  EXPECT_EQ(test::read_file(dir / "out.img"), test::read_file(v2));
}

TEST_F(Extract, MissingEverywhereFailsNamingChunkAndLeavesNothing) {
  Index idx = make(v2, dir / "store");
  LocalStore store(dir / "store");
  fs::remove(store.path_of(idx.id(3)));
  fs::create_directory(dir / "outdir");
  try {
    extract(idx, dir / "outdir/out.img", {}, &store, xo);
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_EQ(e.code(), Errc::not_found);
    EXPECT_NE(m.find(idx.id(3).hex()), std::string::npos) << m;
    EXPECT_NE(m.find("image offset " + std::to_string(idx.start(3))), std::string::npos) << m;
  }
  EXPECT_EQ(entries_in(dir / "outdir"), 0u) << "output or temporary file left behind";
}

TEST_F(Extract, CorruptChunkFailsNamingPathAndKeepsOldOutput) {
  Index idx = make(v2, dir / "store");
  LocalStore store(dir / "store");
  // Valid zstd, wrong content: only verification can catch it.
  auto other = test::random_data(idx.length(5), 1);
  ChunkData cd;
  ChunkCodec().compress(other, cd.bytes);
  test::write_file(store.path_of(idx.id(5)), cd.bytes);
  fs::create_directory(dir / "outdir");
  test::write_file(dir / "outdir/out.img", {1, 2, 3});
  try {
    extract(idx, dir / "outdir/out.img", {}, &store, xo);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::corrupt);
    EXPECT_NE(std::string(e.what()).find(store.path_of(idx.id(5))), std::string::npos) << e.what();
  }
  EXPECT_EQ(test::read_file(dir / "outdir/out.img"), (std::vector<std::uint8_t>{1, 2, 3}));
  EXPECT_EQ(entries_in(dir / "outdir"), 1u);
}

TEST_F(Extract, InPlaceResumesAnInterruptedExtract) {
  Index idx = make(v2, dir / "store");
  LocalStore store(dir / "store");
  // An interrupted extract: the first 60% written, the rest garbage.
  auto bytes = test::read_file(v2);
  std::size_t cut = bytes.size() * 6 / 10;
  for (std::size_t i = cut; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 31);
  test::write_file(dir / "out.img", bytes);
  ExtractOptions in = xo;
  in.in_place = true;
  auto st = extract(idx, dir / "out.img", {}, &store, in);
  EXPECT_EQ(test::read_file(dir / "out.img"), test::read_file(v2));
  EXPECT_GT(st.bytes_in_place, cut / 2);
  EXPECT_LT(st.chunks_from_store, idx.size() / 2 + 2);
}

TEST_F(Extract, DigestMismatchOfSeedIsRejected) {
  Index i2 = make(v2, dir / "store");
  MakeOptions o256 = opt;
  o256.digest = DigestKind::sha256;
  make_index(v1, nullptr, o256).write(v1 + ".caibx");
  EXPECT_THROW(load_seed(v1, i2, 2), Error);
}

// The CLI turns each failure into a message naming the file and a non-zero exit.
TEST_F(Extract, CliErrorsNameTheFileAndExitNonZero) {
  const std::string cb = test::chunkbench_bin();
  auto r = test::run(cb + " extract -s " + dir / "store " + dir / "nope.caibx " + dir / "o.img");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(dir / "nope.caibx"), std::string::npos) << r.out;
  test::write_file(dir / "bad.caibx", std::vector<std::uint8_t>(70, 0));
  r = test::run(cb + " info " + dir / "bad.caibx");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(dir / "bad.caibx: byte offset 8"), std::string::npos) << r.out;
  r = test::run(cb + " make -m 64:16:256 " + dir / "x.caibx " + v1);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("64:16:256"), std::string::npos) << r.out;
  r = test::run(cb + " make " + dir / "x.caibx " + dir / "missing.img");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(dir / "missing.img"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir / "x.caibx"));
  r = test::run(cb + " make --bogus " + dir / "x.caibx " + v1);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("--bogus"), std::string::npos) << r.out;
}

TEST_F(Extract, CliMakeInfoCompareVerify) {
  const std::string cb = test::chunkbench_bin();
  auto r = test::run(cb + " make -s " + dir / "store -m 16:64:256 " + dir / "v1.caibx " + v1);
  ASSERT_EQ(r.status, 0) << r.out;
  r = test::run(cb + " make -s " + dir / "store -m 16:64:256 --json " + dir / "v2.caibx " + v2);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"stored\""), std::string::npos);
  r = test::run(cb + " info --compare --json " + dir / "v1.caibx " + dir / "v2.caibx");
  ASSERT_EQ(r.status, 0) << r.out;
  Index a = Index::read(dir / "v1.caibx"), b = Index::read(dir / "v2.caibx");
  std::unordered_set<ChunkId, ChunkIdHash> have;
  for (auto& e : a.entries) have.insert(e.id);
  std::unordered_set<ChunkId, ChunkIdHash> need;
  std::uint64_t need_bytes = 0;
  for (std::size_t i = 0; i < b.size(); ++i)
    if (!have.count(b.id(i)) && need.insert(b.id(i)).second) need_bytes += b.length(i);
  EXPECT_NE(r.out.find("\"download_bytes\": " + std::to_string(need_bytes)), std::string::npos) << r.out;
  r = test::run(cb + " info -s " + dir / "store --seed " + v1 + " " + dir / "v2.caibx");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("missing          0 unique chunks"), std::string::npos) << r.out;
  r = test::run(cb + " verify -s " + dir / "store");
  EXPECT_EQ(r.status, 0) << r.out;
  test::write_file(LocalStore(dir / "store").path_of(b.id(0)), {1, 2, 3});
  r = test::run(cb + " verify -s " + dir / "store");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find(b.id(0).hex()), std::string::npos) << r.out;
}

}  // namespace
