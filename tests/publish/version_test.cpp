// Release names and keys as both KDE vacuums compute them.
#include "chunkbench/publish/version.hpp"

#include <gtest/gtest.h>

#include "chunkbench/error.hpp"

namespace chunkbench::publish {
namespace {

TEST(Version, ReleaseKeys) {
  EXPECT_EQ(release_key("kde-linux_202603240254.iso"), "202603240254");
  EXPECT_EQ(release_key("kde-linux_202603240254_root-x86-64.erofs.caibx"), "202603240254");
  EXPECT_EQ(release_key("kde-linux_202603240254_erofs.addon.efi"), "202603240254");
  EXPECT_EQ(release_key("kdeos_202401010000.efi"), "202401010000");
  EXPECT_EQ(release_key("SHA256SUMS"), std::nullopt);
  EXPECT_EQ(release_key("other_202603240254.iso"), std::nullopt);
  EXPECT_THROW(release_key("kde-linux_latest.iso"), Error);
  EXPECT_THROW(release_key("kde-linux_.iso"), Error);
  Naming n{"acme", {}};
  EXPECT_EQ(release_key("acme_7.efi", n), "7");
  EXPECT_EQ(release_key("kdeos_1.efi", n), std::nullopt);
}

TEST(Version, MakeVersionIsUtcMinutes) {
  using namespace std::chrono;
  auto t = sys_days{year{2026} / 3 / 24} + hours{2} + minutes{54} + seconds{59};
  EXPECT_EQ(make_version(t), "202603240254");
}

TEST(Version, KindsAndPlacement) {
  auto f = release_files("202603240254");
  EXPECT_EQ(f.caibx, "kde-linux_202603240254_root-x86-64.caibx");
  EXPECT_EQ(artefact_kind(f.image), ArtefactKind::image);
  EXPECT_EQ(artefact_kind("kde-linux_1.raw"), ArtefactKind::image);
  EXPECT_EQ(artefact_kind(f.erofs_caibx), ArtefactKind::erofs_caibx);
  EXPECT_EQ(artefact_kind(f.caibx), ArtefactKind::caibx);
  EXPECT_EQ(artefact_kind(f.tar_zst), ArtefactKind::tar_zst);
  EXPECT_EQ(artefact_kind("kde-linux_1_erofs.addon.efi"), ArtefactKind::efi);
  EXPECT_EQ(artefact_kind("notes.txt"), ArtefactKind::other);
  EXPECT_TRUE(in_edition_root(ArtefactKind::torrent));
  EXPECT_FALSE(in_edition_root(ArtefactKind::erofs));
  EXPECT_FALSE(summed(ArtefactKind::erofs_caibx));
  EXPECT_TRUE(summed(ArtefactKind::caibx));
}

}  // namespace
}  // namespace chunkbench::publish
