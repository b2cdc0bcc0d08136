// casync from Debian is the oracle: the same image and chunk sizes must give byte-identical
// indexes, and each tool must extract the other's store to a byte-identical image.
#include <gtest/gtest.h>

#include <filesystem>

#include "chunkbench/imagegen.hpp"
#include "chunkbench/index.hpp"
#include "chunkbench/local_store.hpp"
#include "test_util.hpp"

using namespace chunkbench;

namespace {

struct Case {
  std::string image;     // random | synthetic | small
  std::string desync_m;  // chunkbench -m
  std::string casync_m;  // casync --chunk-size
  std::string digest;
};

std::string name(const testing::TestParamInfo<Case>& i) {
  std::string n = i.param.image + "_" + i.param.desync_m + "_" + i.param.digest;
  for (auto& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

class CasyncInterop : public testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (!test::have_program("casync")) GTEST_SKIP() << "casync is not installed; scripts/setup.sh installs it";
  }
  std::string make_image() {
    const Case& c = GetParam();
    std::string img = dir / "image.bin";
    bool big = c.desync_m.rfind("1024", 0) == 0;
    if (c.image == "random") {
      test::write_file(img, test::random_data(big ? 24'000'000 : 3'000'000, 42));
    } else if (c.image == "synthetic") {
      imagegen::SyntheticOptions o;
      o.bytes = big ? 32ull << 20 : 6ull << 20;
      o.seed = 9;
      imagegen::make_synthetic(o, img);
    } else {
      // Sizes at the limits: one byte past max, so the second chunk is 1 byte long.
      std::uint64_t max = big ? 4ull << 20 : c.desync_m == "32:64:128" ? 128ull << 10 : 256ull << 10;
      test::write_file(img, test::random_data(max + 1, 3));
    }
    return img;
  }
  test::TempDir dir;
};

TEST_P(CasyncInterop, IndexesAndStoresAreInterchangeable) {
  const Case& c = GetParam();
  const std::string img = make_image();
  const std::string cb = test::chunkbench_bin();
  auto r = test::run("casync make --store=" + dir / "cs" + " --chunk-size=" + c.casync_m + " --digest=" + c.digest +
                     " " + dir / "casync.caibx" + " " + img);
  ASSERT_EQ(r.status, 0) << r.out;
  r = test::run(cb + " make -s " + dir / "cb" + " -m " + c.desync_m + " --digest " + c.digest + " " +
                dir / "chunkbench.caibx" + " " + img);
  ASSERT_EQ(r.status, 0) << r.out;

  auto a = test::read_file(dir / "casync.caibx"), b = test::read_file(dir / "chunkbench.caibx");
  ASSERT_FALSE(a.empty());
  Index ia = Index::parse(a, "casync.caibx"), ib = Index::parse(b, "chunkbench.caibx");
  ASSERT_EQ(ia.size(), ib.size());
  for (std::size_t i = 0; i < ia.size(); ++i) {
    ASSERT_EQ(ia.entries[i].end, ib.entries[i].end) << "chunk " << i;
    ASSERT_EQ(ia.id(i), ib.id(i)) << "chunk " << i;
  }
  EXPECT_EQ(a, b) << "index files differ in header or tail";
  EXPECT_GT(ia.size(), 1u);

  r = test::run(cb + " extract -s " + dir / "cs" + " " + dir / "casync.caibx" + " " + dir / "out1.bin");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(test::read_file(dir / "out1.bin"), test::read_file(img));
  r = test::run("casync extract --store=" + dir / "cb" + " " + dir / "chunkbench.caibx" + " " + dir / "out2.bin");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(test::read_file(dir / "out2.bin"), test::read_file(img));
}

std::vector<Case> cases() {
  std::vector<Case> v;
  const std::pair<const char*, const char*> sizes[] = {
      {"16:64:256", "16K:64K:256K"}, {"32:64:128", "32K:64K:128K"}, {"1024:2048:4096", "1M:2M:4M"}};
  for (const char* img : {"random", "synthetic", "small"})
    for (auto [d, c] : sizes)
      for (const char* digest : {"sha512-256", "sha256"}) v.push_back({img, d, c, digest});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Casync, CasyncInterop, testing::ValuesIn(cases()), name);

// The chunker on byte-sized limits exercises the exactly-at-min rule many times per megabyte.
TEST(CasyncInteropSmallChunks, ByteSizedLimitsMatch) {
  if (!test::have_program("casync")) GTEST_SKIP() << "casync is not installed";
  test::TempDir dir;
  test::write_file(dir / "r.bin", test::random_data(3'000'000, 17));
  auto r = test::run("casync make --chunk-size=64:256:1024 " + dir / "c.caibx " + dir / "r.bin");
  ASSERT_EQ(r.status, 0) << r.out;
  r = test::run(test::chunkbench_bin() + " make -m 64B:256B:1024B " + dir / "b.caibx " + dir / "r.bin");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(test::read_file(dir / "c.caibx"), test::read_file(dir / "b.caibx"));
}

}  // namespace

// .caidx (catar archive index) tables use the same layout; chunkbench reads them and the chunk
// table agrees with what casync stored.
TEST(CasyncInteropCaidx, ReadsDirectoryIndexes) {
  if (!test::have_program("casync")) GTEST_SKIP() << "casync is not installed";
  test::TempDir dir;
  for (int i = 0; i < 20; ++i) test::write_file(dir / ("tree/f" + std::to_string(i)), test::random_data(50000, 300 + i));
  auto r = test::run("casync make --store=" + dir / "s " + dir / "t.caidx " + dir / "tree");
  ASSERT_EQ(r.status, 0) << r.out;
  Index idx = Index::read(dir / "t.caidx");
  EXPECT_GT(idx.size(), 1u);
  EXPECT_NE(idx.flags & 0xffffffffull, 0u) << "a .caidx carries casync's WITH_* feature bits";
  LocalStore store(dir / "s");
  for (std::size_t i = 0; i < idx.size(); ++i) EXPECT_TRUE(store.has(idx.id(i))) << i;
  r = test::run(test::chunkbench_bin() + " info -s " + dir / "s " + dir / "t.caidx");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("missing          0 unique chunks"), std::string::npos) << r.out;
}

TEST(CasyncInteropSeedDir, SeedDirectoryOfIndexedImages) {
  test::TempDir dir;
  imagegen::SyntheticOptions o;
  o.bytes = 4ull << 20;
  std::filesystem::create_directories(dir / "seeds");
  imagegen::make_synthetic(o, dir / "seeds/old.img");
  imagegen::mutate_synthetic(dir / "seeds/old.img", dir / "new.img", 0.05, 9);
  const std::string cb = test::chunkbench_bin();
  auto r = test::run(cb + " make " + dir / "seeds/old.img.caibx " + dir / "seeds/old.img");
  ASSERT_EQ(r.status, 0) << r.out;
  r = test::run(cb + " make -s " + dir / "store " + dir / "new.caibx " + dir / "new.img");
  ASSERT_EQ(r.status, 0) << r.out;
  r = test::run(cb + " extract --json -s " + dir / "store --seed-dir " + dir / "seeds " + dir / "new.caibx " + dir / "out.img");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(test::read_file(dir / "out.img"), test::read_file(dir / "new.img"));
  EXPECT_NE(r.out.find("\"seeds\": 1"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\"bytes_from_seeds\": 0,"), std::string::npos) << r.out;
}
