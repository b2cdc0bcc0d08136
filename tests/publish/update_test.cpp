// update end to end: two releases published into one tree served by `chunkbench serve` (TLS),
// the manifest signed by a throwaway key; the client verifies it, takes the newest version, checks
// the index's and the image's SHA-256 and downloads exactly the chunks the installed image lacks.
// A tampered manifest and an unknown key are refused with nothing installed.
#include "chunkbench/publish/update.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "chunkbench/error.hpp"
#include "chunkbench/imagegen.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/publish/sha256sums.hpp"
#include "chunkbench/publish/upload_tree.hpp"
#include "gpg_fixture.hpp"
#include "s3rver_fixture.hpp"

namespace chunkbench::publish {
namespace {
namespace fs = std::filesystem;

TEST(Update, VerifiesPicksNewestAndDownloadsOnlyTheDelta) {
  if (run_process({"sh", "-c", "command -v gpg"}).status != 0) GTEST_SKIP() << "gpg is not installed";
  test::TempDir dir;
  test::ThrowawayKey key("release <release@example.invalid>");
  test::ThrowawayKey stranger("stranger <s@example.invalid>");
  const auto f1 = release_files("202603010000"), f2 = release_files("202603020000");
  imagegen::SyntheticOptions so;
  so.bytes = 4 << 20;
  imagegen::make_synthetic(so, dir / f1.erofs);
  imagegen::mutate_synthetic(dir / f1.erofs, dir / f2.erofs, 0.05, 7);
  LocalStore build(dir / "store");
  MakeOptions mo;
  mo.threads = 2;
  const Index i1 = make_index(dir / f1.erofs, &build, mo), i2 = make_index(dir / f2.erofs, &build, mo);
  i1.write(dir / f1.caibx);
  i2.write(dir / f2.caibx);

  // Both releases in one served tree, one signed manifest listing both (what vacuum writes).
  const std::string root = dir / "root";
  for (const auto& [f, n] : {std::pair{f1, 1}, std::pair{f2, 2}}) {
    UploadTreeSpec spec;
    spec.tree = dir / ("tree" + std::to_string(n));
    spec.layout.edition = "testing";
    spec.artefacts = {dir / f.erofs, dir / f.caibx};
    spec.chunk_store = dir / "store";
    compose_upload_tree(spec);
    fs::copy(spec.tree, root, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  const std::string v2dir = root + "/testing/sysupdate/v2";
  write_sha256sums(v2dir + "/SHA256SUMS", sums_of_directory(v2dir, false));
  sign_detached(v2dir + "/SHA256SUMS", v2dir + "/SHA256SUMS.gpg", {key.home(), "", ""});

  test::Serve serve(dir, root);
  ASSERT_TRUE(serve.ok()) << serve.log();
  fs::create_directories(dir / "system");
  fs::copy_file(dir / f1.erofs, dir / ("system/" + f1.erofs));
  UpdateSpec us;
  us.url = serve.url("testing/sysupdate/v2/");
  us.keyring = key.pubring();
  us.stores = {serve.url("sysupdate/store")};
  us.installed = dir / ("system/" + f1.erofs);
  us.output_dir = dir / "system";
  us.http.ca_file = serve.ca();
  us.threads = 2;
  auto r = update(us);
  EXPECT_TRUE(r.updated);
  EXPECT_EQ(r.installed_version, "202603010000");
  EXPECT_EQ(r.version, "202603020000");
  EXPECT_EQ(r.signer, key.fingerprint());
  EXPECT_EQ(test::read_file(r.output), test::read_file(dir / f2.erofs));
  EXPECT_TRUE(fs::exists(r.output + ".caibx"));

  // Downloaded: exactly the distinct chunks of v2 that v1 lacks (all-zero chunks are never fetched).
  std::set<ChunkId> have, need;
  for (const auto& e : i1.entries) have.insert(e.id);
  Hasher h(i2.digest());
  for (std::size_t i = 0; i < i2.size(); ++i) {
    const std::vector<std::uint8_t> zeros(i2.length(i), 0);
    if (!have.count(i2.id(i)) && h.digest(zeros) != i2.id(i)) need.insert(i2.id(i));
  }
  EXPECT_EQ(r.report.stats.chunks_fetched, need.size());
  EXPECT_GT(need.size(), 0u);

  // The same through the binary.
  auto cli = run_process({CHUNKBENCH_BIN, "update", "--url", us.url, "--keyring", us.keyring, "-s", us.stores[0],
                          "--installed", us.installed, "--output-dir", dir / "cli-out", "--ca", serve.ca(), "--json"});
  ASSERT_EQ(cli.status, 0) << cli.err;
  auto j = nlohmann::json::parse(cli.out);
  EXPECT_EQ(j["schema"], "chunkbench.update/1");
  EXPECT_EQ(j["updated"], true);
  EXPECT_EQ(j["chunks_fetched"], need.size());
  EXPECT_EQ(test::read_file(dir / ("cli-out/" + f2.erofs)), test::read_file(dir / f2.erofs));

  us.installed = r.output;  // up to date now
  EXPECT_FALSE(update(us).updated);

  // Refusals: unknown key, then a tampered manifest; nothing new appears in the output dir.
  us.installed = dir / ("system/" + f1.erofs);
  fs::remove(r.output);
  us.keyring = stranger.pubring();
  try {
    update(us);
    FAIL() << "accepted a manifest signed by a key outside the keyring";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not hold"), std::string::npos) << e.what();
  }
  us.keyring = key.pubring();
  auto text = test::read_file(v2dir + "/SHA256SUMS");
  text.insert(text.end(), 64, 'a');
  for (char c : std::string("  kde-linux_202603090000_root-x86-64.caibx\n")) text.push_back(static_cast<std::uint8_t>(c));
  test::write_file(v2dir + "/SHA256SUMS", text);
  try {
    update(us);
    FAIL() << "accepted a tampered manifest";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::corrupt);
    EXPECT_NE(std::string(e.what()).find("BAD signature"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(r.output));
  std::size_t files = 0;
  for (const auto& de : fs::directory_iterator(dir / "system")) files += de.path().filename().string()[0] == '.' ? 100 : 1;
  EXPECT_EQ(files, 2u);  // v1 and v2's index from the first update; no work directories left
}

TEST(Update, Patterns) {
  EXPECT_EQ(match_version("kde-linux_@v_root-x86-64.caibx", "kde-linux_202603010000_root-x86-64.caibx"), "202603010000");
  EXPECT_EQ(match_version("kde-linux_@v_root-x86-64.erofs", "kde-linux_202603010000_root-x86-64.erofs.caibx"), "");
  EXPECT_EQ(match_version("kde-linux_@v.efi", "kde-linux_x.efi"), "");
  EXPECT_THROW(match_version("no-version", "x"), Error);
}

}  // namespace
}  // namespace chunkbench::publish
