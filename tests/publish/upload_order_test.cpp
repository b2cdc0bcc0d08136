// The publish order: chunks, artefacts, SHA256SUMS, signature.
#include "chunkbench/publish/upload_order.hpp"

#include <gtest/gtest.h>

namespace chunkbench::publish {
namespace {

TEST(UploadOrder, StagesByKey) {
  EXPECT_EQ(upload_stage("sysupdate/store/00ab/00ab.cacnk"), UploadStage::chunks);
  EXPECT_EQ(upload_stage("prefix/sysupdate/store/00ab/00ab"), UploadStage::chunks);  // uncompressed store
  EXPECT_EQ(upload_stage("testing/kde-linux_1.iso"), UploadStage::artefacts);
  EXPECT_EQ(upload_stage("testing/sysupdate/v2/kde-linux_1_root-x86-64.caibx"), UploadStage::artefacts);
  EXPECT_EQ(upload_stage("testing/sysupdate/v2/SHA256SUMS"), UploadStage::manifest);
  EXPECT_EQ(upload_stage("SHA256SUMS"), UploadStage::manifest);
  EXPECT_EQ(upload_stage("testing/SHA256SUMS.gpg"), UploadStage::signature);
  EXPECT_EQ(upload_stage("testing/SHA256SUMS.sha256.asc"), UploadStage::signature);
  EXPECT_EQ(upload_stage("testing/SHA256SUMS.txt"), UploadStage::artefacts);
}

TEST(UploadOrder, EveryManifestBeforeAnySignature) {
  auto stages = order_uploads({"t/SHA256SUMS.gpg", "t/sysupdate/v2/SHA256SUMS", "t/sysupdate/v2/SHA256SUMS.gpg",
                               "t/SHA256SUMS", "t/sysupdate/v2/kde-linux_1.efi", "sysupdate/store/0000/0000.cacnk",
                               "t/kde-linux_1.iso"});
  EXPECT_EQ(stages[0], std::vector<std::string>{"sysupdate/store/0000/0000.cacnk"});
  EXPECT_EQ(stages[1], (std::vector<std::string>{"t/kde-linux_1.iso", "t/sysupdate/v2/kde-linux_1.efi"}));
  EXPECT_EQ(stages[2], (std::vector<std::string>{"t/SHA256SUMS", "t/sysupdate/v2/SHA256SUMS"}));
  EXPECT_EQ(stages[3], (std::vector<std::string>{"t/SHA256SUMS.gpg", "t/sysupdate/v2/SHA256SUMS.gpg"}));
  EXPECT_STREQ(upload_stage_name(UploadStage::signature), "signature");
}

}  // namespace
}  // namespace chunkbench::publish
