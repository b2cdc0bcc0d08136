// The pipeline against s3rver: chop uploads only what the bucket lacks; upload sends a tree in the
// publish order with x-amz-meta-x-kde-sha256 on every object; vacuum keeps the newest 4 plus the
// golden ones and rebuilds SHA256SUMS from metadata (an object without it stops the vacuum before
// any delete); prune deletes only unreferenced chunks older than the grace period, and refuses
// below its sanity floor. Every request's signature is re-verified by botocore.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "chunkbench/error.hpp"
#include "chunkbench/imagegen.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/publish/chop.hpp"
#include "chunkbench/publish/prune.hpp"
#include "chunkbench/publish/upload.hpp"
#include "chunkbench/publish/upload_tree.hpp"
#include "chunkbench/publish/vacuum.hpp"
#include "chunkbench/s3_store.hpp"
#include "s3rver_fixture.hpp"

namespace chunkbench::publish {
namespace {
namespace fs = std::filesystem;

class Pipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::S3rver::available()) GTEST_SKIP() << "s3rver is not installed in tools/ (run scripts/setup.sh)";
    server_ = std::make_unique<test::S3rver>(std::vector<std::string>{"kde-linux"});
    HttpOptions http;
    http.retries = 1;
    fetcher_ = std::make_shared<BatchFetcher>(http, nullptr);
    client_ = std::make_shared<s3::Client>(s3::Endpoint::parse(server_->spec("kde-linux/")), log_.options(), fetcher_);
    store_ = std::make_shared<S3Store>(
        std::make_shared<s3::Client>(s3::Endpoint::parse(server_->spec("kde-linux/sysupdate/store")), log_.options(), fetcher_));
  }
  void TearDown() override {
    if (server_) log_.check();
  }
  // Release `n`: an erofs derived from the previous one, chunked into the local build store.
  std::vector<std::string> release(int n) {
    const std::string v = "2026030" + std::to_string(n) + "0000";
    const auto f = release_files(v);
    if (n == 1) {
      imagegen::SyntheticOptions so;
      so.bytes = 1 << 20;
      imagegen::make_synthetic(so, dir_ / f.erofs);
    } else {
      imagegen::mutate_synthetic(dir_ / release_files("2026030" + std::to_string(n - 1) + "0000").erofs, dir_ / f.erofs,
                                 0.1, static_cast<std::uint64_t>(n));
    }
    LocalStore build_store(dir_ / "build-store");
    MakeOptions mo;
    mo.threads = 2;
    make_index(dir_ / f.erofs, &build_store, mo).write(dir_ / f.caibx);
    test::write_file(dir_ / f.efi, test::random_data(3000, static_cast<std::uint64_t>(n)));
    test::write_file(dir_ / f.image, test::random_data(40000, static_cast<std::uint64_t>(n) + 100));
    return {dir_ / f.efi, dir_ / f.erofs, dir_ / f.caibx, dir_ / f.image};
  }
  std::string tree_of(int n, const std::string& edition = "testing") {
    UploadTreeSpec spec;
    spec.tree = dir_ / ("tree-" + edition + std::to_string(n));
    spec.layout.edition = edition;
    spec.artefacts = release(n);
    spec.chunk_store = dir_ / "build-store";
    compose_upload_tree(spec);
    return spec.tree;
  }

  test::TempDir dir_;
  std::unique_ptr<test::S3rver> server_;
  test::SignatureLog log_;
  std::shared_ptr<BatchFetcher> fetcher_;
  std::shared_ptr<s3::Client> client_;
  std::shared_ptr<S3Store> store_;
};

TEST_F(Pipeline, ChopUploadsOnlyWhatIsMissing) {
  auto files = release(1);
  Index index = Index::read(files[2]);
  ChopOptions o;
  o.threads = 2;
  auto first = chop(index, files[1], *store_, o);
  EXPECT_GT(first.unique, 0u);
  EXPECT_EQ(first.uploaded, first.unique);
  EXPECT_EQ(first.reused, 0u);
  EXPECT_FALSE(first.presence.reason.empty());
  auto again = chop(index, files[1], *store_, o);
  EXPECT_EQ(again.uploaded, 0u);
  EXPECT_EQ(again.reused, again.unique);
  EXPECT_TRUE(again.presence.use_listing) << again.presence.reason;  // a one-page listing beats N HEADs

  auto next = release(2);
  Index index2 = Index::read(next[2]);
  std::set<ChunkId> old_ids, new_ids;
  for (const auto& e : index.entries) old_ids.insert(e.id);
  for (const auto& e : index2.entries)
    if (!old_ids.count(e.id)) new_ids.insert(e.id);
  auto delta = chop(index2, next[1], *store_, o);
  EXPECT_EQ(delta.uploaded, new_ids.size());
  std::vector<ChunkId> all;
  for (const auto& e : index2.entries) all.push_back(e.id);
  for (bool h : store_->has_batch(all)) EXPECT_TRUE(h);

  // An image that does not match its index: refused before its chunks are sent.
  test::write_file(dir_ / "wrong.img", test::random_data(static_cast<std::size_t>(index2.blob_size()), 99));
  LocalStore empty(dir_ / "empty-store");
  EXPECT_THROW(chop(index2, dir_ / "wrong.img", empty, o), Error);
}

TEST_F(Pipeline, UploadOrderVacuumAndPrune) {
  std::vector<UploadStage> stages;
  UploadOptions uo;
  uo.on_stage = [&](UploadStage s, std::size_t) { stages.push_back(s); };
  for (int n = 1; n <= 6; ++n) upload_tree(tree_of(n), *client_, "", uo);
  ASSERT_EQ(stages.size(), 24u);
  for (std::size_t i = 0; i < stages.size(); ++i) EXPECT_EQ(stages[i], kUploadStages[i % 4]);
  const auto f6 = release_files("202603060000");
  auto info = client_->head("testing/sysupdate/v2/" + f6.erofs);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->metadata[kShaMetadata], sha256_file(dir_ / f6.erofs));

  VacuumSpec vs;
  vs.layout.edition = "testing";
  vs.config.golden = {"202603010000"};
  auto plan = plan_vacuum(*client_, vs);
  EXPECT_EQ(plan.releases.keep, (std::vector<std::string>{"202603060000", "202603050000", "202603040000",
                                                           "202603030000", "202603010000"}));
  EXPECT_EQ(plan.releases.remove, std::vector<std::string>{"202603020000"});
  EXPECT_EQ(plan.delete_keys.size(), 6u);  // iso, torrent, efi, erofs, caibx, erofs.caibx (not SHA256SUMS)
  ASSERT_EQ(plan.sysupdate_sums.size(), 15u);  // 5 releases x (efi, erofs, caibx)
  EXPECT_EQ(plan.sysupdate_sums[0].name, f6.efi);
  EXPECT_EQ(plan.sysupdate_sums.back().name, release_files("202603010000").erofs);  // listing order in a release
  auto written = write_vacuum_manifests(plan, vs, dir_ / "vacuum-tree");
  EXPECT_EQ(written, (std::vector<std::string>{"testing/SHA256SUMS", "testing/sysupdate/v2/SHA256SUMS"}));
  ASSERT_EQ(plan.root_sums.size(), 10u);  // 5 releases x (iso, torrent)
  EXPECT_EQ(plan.root_sums[0].name, f6.image);

  // An object without the checksum metadata stops the vacuum before anything is deleted.
  client_->put("testing/sysupdate/v2/kde-linux_202603060000_extra.efi", std::vector<std::uint8_t>{1, 2});
  try {
    plan_vacuum(*client_, vs);
    FAIL() << "vacuum accepted an object without metadata";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("kde-linux_202603060000_extra.efi: no x-amz-meta-x-kde-sha256"),
              std::string::npos) << e.what();
  }
  client_->remove("testing/sysupdate/v2/kde-linux_202603060000_extra.efi");
  apply_vacuum(*client_, plan);
  EXPECT_FALSE(client_->head("testing/sysupdate/v2/" + release_files("202603020000").erofs));

  PruneSpec ps;
  ps.min_indexes = 100;
  EXPECT_THROW(prune_store(*client_, *store_, ps), Error);  // below the sanity floor: refused

  ps.min_indexes = 2;
  auto young = prune_store(*client_, *store_, ps);  // everything was uploaded just now
  EXPECT_EQ(young.garbage, 0u);
  EXPECT_EQ(young.indexes.size(), 10u);  // 5 releases x (caibx + erofs.caibx)

  ps.now = young.indexes.empty() ? 0 : std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch()).count() + 2 * 86400;
  auto dry = prune_store(*client_, *store_, ps);
  EXPECT_GT(dry.garbage, 0u) << "release 2's own chunks are unreferenced now";
  EXPECT_FALSE(dry.deleted);
  ps.really_delete = true;
  auto real = prune_store(*client_, *store_, ps);
  EXPECT_EQ(real.garbage, dry.garbage);
  EXPECT_EQ(real.stored - real.garbage, real.referenced);
  // Every index still listed has all its chunks.
  for (int n : {1, 3, 4, 5, 6}) {
    Index idx = Index::read(dir_ / release_files("2026030" + std::to_string(n) + "0000").caibx);
    std::vector<ChunkId> ids;
    for (const auto& e : idx.entries) ids.push_back(e.id);
    for (bool h : store_->has_batch(ids)) EXPECT_TRUE(h) << "release " << n;
  }
}

}  // namespace
}  // namespace chunkbench::publish
