// upload-tree/ for one edition: keys mirror the bucket, the chunks of the release's index sit in
// the shared store, the legacy .erofs.caibx copy is there but not summed, both manifests are
// signed, the torrent names the image; a failure leaves no tree behind.
#include "chunkbench/publish/upload_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "../core/test_util.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/imagegen.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/publish/sha256sums.hpp"

namespace chunkbench::publish {
namespace {
namespace fs = std::filesystem;

std::string text_of(const std::string& path) {
  auto b = test::read_file(path);
  return std::string(b.begin(), b.end());
}

// One release's build outputs in `dir`: erofs (synthetic), its index chunked into `dir/store`,
// an efi, an empty tar.zst and an iso.
std::vector<std::string> build_release(const test::TempDir& dir, const std::string& v) {
  const auto f = release_files(v);
  imagegen::SyntheticOptions so;
  so.bytes = 2 << 20;
  imagegen::make_synthetic(so, dir / f.erofs);
  LocalStore store(dir / "store");
  MakeOptions mo;
  mo.threads = 2;
  make_index(dir / f.erofs, &store, mo).write(dir / f.caibx);
  test::write_file(dir / f.efi, test::random_data(5000, 2));
  test::write_file(dir / f.tar_zst, {0x28, 0xb5, 0x2f, 0xfd});
  test::write_file(dir / f.image, test::random_data(70000, 3));
  return {dir / f.image, dir / f.efi, dir / f.erofs, dir / f.caibx, dir / f.tar_zst};
}

TEST(UploadTree, ComposesTheBucketLayout) {
  test::TempDir dir;
  const std::string v = "202603240254";
  const auto f = release_files(v);
  UploadTreeSpec spec;
  spec.tree = dir / "upload-tree";
  spec.layout.edition = "testing";
  spec.artefacts = build_release(dir, v);
  spec.chunk_store = dir / "store";
  spec.web_seeds = {"https://mirror.example/kde-linux/"};
  auto r = compose_upload_tree(spec);
  EXPECT_EQ(r.version, v);
  EXPECT_GT(r.chunks, 0u);
  EXPECT_EQ(r.manifests, (std::vector<std::string>{"testing/SHA256SUMS", "testing/sysupdate/v2/SHA256SUMS"}));
  for (const auto& key : {"testing/" + f.image, "testing/" + f.torrent, "testing/sysupdate/v2/" + f.efi,
                          "testing/sysupdate/v2/" + f.erofs, "testing/sysupdate/v2/" + f.caibx,
                          "testing/sysupdate/v2/" + f.erofs_caibx, "testing/sysupdate/v2/" + f.tar_zst})
    EXPECT_TRUE(std::binary_search(r.files.begin(), r.files.end(), key)) << key;
  const auto chunk_files = std::count_if(r.files.begin(), r.files.end(),
                                         [](const std::string& k) { return k.rfind("sysupdate/store/", 0) == 0; });
  EXPECT_EQ(static_cast<std::uint64_t>(chunk_files), r.chunks);

  auto v2 = parse_sha256sums(text_of(spec.tree + "/testing/sysupdate/v2/SHA256SUMS"), "v2");
  std::vector<std::string> names;
  for (const auto& e : v2) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{f.efi, f.tar_zst, f.erofs, f.caibx}));  // KDE's glob order, no .erofs.caibx
  EXPECT_EQ(v2[2].sha256, sha256_file(dir / f.erofs));
  auto root = parse_sha256sums(text_of(spec.tree + "/testing/SHA256SUMS"), "root");
  ASSERT_EQ(root.size(), 2u);
  EXPECT_EQ(root[0].name, f.image);
  EXPECT_EQ(root[1].name, f.torrent);
  EXPECT_FALSE(r.torrent_info_hash.empty());
  EXPECT_FALSE(fs::exists(spec.tree + "/testing/SHA256SUMS.gpg"));  // no key given

  EXPECT_THROW(compose_upload_tree(spec), Error);  // the tree exists: never merged into
}

TEST(UploadTree, RefusesMixedVersionsMissingChunksAndLeavesNothing) {
  test::TempDir dir;
  auto files = build_release(dir, "202603240254");
  UploadTreeSpec spec;
  spec.tree = dir / "tree";
  spec.layout.edition = "testing";
  spec.artefacts = files;
  spec.artefacts.push_back(dir / "kde-linux_202603250000.efi");
  test::write_file(spec.artefacts.back(), {1});
  EXPECT_THROW(compose_upload_tree(spec), Error);
  spec.artefacts.pop_back();

  fs::remove_all(dir / "store");
  fs::create_directories(dir / "store");
  spec.chunk_store = dir / "store";
  try {
    compose_upload_tree(spec);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::not_found);
    EXPECT_NE(std::string(e.what()).find("is missing from store"), std::string::npos) << e.what();
  }
  for (const auto& de : fs::directory_iterator(dir.path()))
    EXPECT_EQ(de.path().filename().string().find("tree"), std::string::npos) << de.path();

  spec.layout.edition = "../escape";
  EXPECT_THROW(compose_upload_tree(spec), Error);
}

}  // namespace
}  // namespace chunkbench::publish
