#include "chunkbench/imagegen.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "chunkbench/info.hpp"
#include "chunkbench/make.hpp"
#include "test_util.hpp"

using namespace chunkbench;
namespace fs = std::filesystem;

TEST(ImageGen, SyntheticIsDeterministicAndMostlyShared) {
  test::TempDir dir;
  imagegen::SyntheticOptions o;
  o.bytes = 4ull << 20;
  o.seed = 77;
  imagegen::make_synthetic(o, dir / "a1");
  imagegen::make_synthetic(o, dir / "a2");
  EXPECT_EQ(test::read_file(dir / "a1"), test::read_file(dir / "a2"));
  EXPECT_EQ(fs::file_size(dir / "a1"), o.bytes);
  o.seed = 78;
  imagegen::make_synthetic(o, dir / "b");
  EXPECT_NE(test::read_file(dir / "a1"), test::read_file(dir / "b"));

  imagegen::mutate_synthetic(dir / "a1", dir / "v2", 0.05, 3);
  imagegen::mutate_synthetic(dir / "a1", dir / "v2b", 0.05, 3);
  EXPECT_EQ(test::read_file(dir / "v2"), test::read_file(dir / "v2b"));
  MakeOptions mo;
  mo.sizes = parse_chunk_sizes("16:64:256");
  auto c = compare_indexes(make_index(dir / "a1", nullptr, mo), make_index(dir / "v2", nullptr, mo));
  // A 5% edit must leave most chunks shared but not all.
  EXPECT_GT(c.new_bytes, 0u);
  EXPECT_LT(c.new_bytes, c.to_bytes / 3);
}

TEST(ImageGen, TarOfRealFilesAndItsNextVersion) {
  test::TempDir dir;
  // A private source tree keeps the test independent of the host's /usr.
  for (int i = 0; i < 60; ++i) {
    fs::create_directories(dir / ("src/d" + std::to_string(i % 7)));
    test::write_file(dir / ("src/d" + std::to_string(i % 7) + "/f" + std::to_string(i)),
                     test::random_data(1000 + static_cast<std::size_t>(i) * 3000, static_cast<std::uint64_t>(i)));
  }
  imagegen::TreeOptions t;
  t.sources = {dir / "src"};
  t.bytes = 1ull << 30;
  imagegen::Mutation m;
  m.changed = 0.2;
  m.added = 0.1;
  m.removed = 0.1;
  auto r = imagegen::make_tree_images(t, m, imagegen::Format::tar, dir / "v1.tar", dir / "v2.tar", dir / "work");
  EXPECT_EQ(r.files_v1, 60u);
  EXPECT_GT(r.changed + r.removed, 0u);
  EXPECT_EQ(r.added, 6u);
  EXPECT_FALSE(fs::exists(dir / "work"));
  imagegen::make_tree_images(t, m, imagegen::Format::tar, dir / "v1b.tar", dir / "v2b.tar", dir / "work");
  EXPECT_EQ(test::read_file(dir / "v1.tar"), test::read_file(dir / "v1b.tar"));
  EXPECT_EQ(test::read_file(dir / "v2.tar"), test::read_file(dir / "v2b.tar"));
  if (test::have_program("tar")) {
    auto l = test::run("tar -tf " + dir / "v2.tar" + " | wc -l");
    EXPECT_EQ(std::stoul(l.out), r.files_v2) << l.out;
  }
}

TEST(ImageGen, ErofsImage) {
  if (!test::have_program("mkfs.erofs")) GTEST_SKIP() << "mkfs.erofs is not installed (erofs-utils); scripts/setup.sh installs it";
  test::TempDir dir;
  for (int i = 0; i < 10; ++i) test::write_file(dir / ("src/f" + std::to_string(i)), test::random_data(20000, static_cast<std::uint64_t>(i)));
  imagegen::TreeOptions t;
  t.sources = {dir / "src"};
  auto r = imagegen::make_tree_images(t, {}, imagegen::Format::erofs, dir / "v1.erofs", dir / "v2.erofs", dir / "work");
  auto img = test::read_file(dir / "v1.erofs");
  ASSERT_GT(img.size(), 1024u + 4);
  // erofs superblock magic 0xE0F5E1E2 at byte 1024.
  EXPECT_EQ(img[1024], 0xe2);
  EXPECT_EQ(img[1027], 0xe0);
  EXPECT_EQ(r.files_v1, 10u);
}
