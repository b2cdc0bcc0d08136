// The pipeline commands end to end through the chunkbench binary against s3rver: upload-tree,
// upload, chop (finds every chunk present), vacuum (dry run, then a malformed vacuum.yaml), prune
// (dry run); credentials come from AWS_* variables, as in a CI job.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "chunkbench/imagegen.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/publish/sha256sums.hpp"
#include "chunkbench/publish/version.hpp"

#include <set>
#include "s3rver_fixture.hpp"

namespace chunkbench::publish {
namespace {

struct Cli {
  std::vector<std::string> env;
  ProcessResult operator()(std::vector<std::string> args) const {
    args.insert(args.begin(), CHUNKBENCH_BIN);
    return run_process(args, {env});
  }
};

TEST(PublishCli, UploadTreeUploadChopVacuumPrune) {
  if (!test::S3rver::available()) GTEST_SKIP() << "s3rver is not installed in tools/ (run scripts/setup.sh)";
  test::S3rver server({"kde-linux"});
  test::TempDir dir;
  const Cli cli{{"AWS_ACCESS_KEY_ID=S3RVER", "AWS_SECRET_ACCESS_KEY=S3RVER", "AWS_REGION=us-east-1", "HOME=" + dir.path()}};
  const auto f = release_files("202603240254");
  imagegen::SyntheticOptions so;
  so.bytes = 1 << 20;
  imagegen::make_synthetic(so, dir / f.erofs);
  LocalStore build(dir / "store");
  MakeOptions mo;
  mo.threads = 2;
  const Index index = make_index(dir / f.erofs, &build, mo);
  index.write(dir / f.caibx);
  test::write_file(dir / f.efi, {1, 2, 3});
  test::write_file(dir / f.image, test::random_data(50000, 1));

  auto r = cli({"upload-tree", "--edition", "testing", "--out", dir / "tree", "-s", dir / "store", "--web-seed",
                "https://mirror.example/kde-linux/", dir / f.image, dir / f.efi, dir / f.erofs, dir / f.caibx});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string bucket = server.spec("kde-linux");
  r = cli({"upload", "--to", bucket, "--json", dir / "tree"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto up = nlohmann::json::parse(r.out);
  EXPECT_EQ(up["schema"], "chunkbench.upload/1");
  EXPECT_EQ(up["stages"]["manifest"], 2);
  EXPECT_EQ(up["stages"]["signature"], 0);

  r = cli({"chop", "-s", server.spec("kde-linux/sysupdate/store"), "--json", dir / f.caibx, dir / f.erofs});
  ASSERT_EQ(r.status, 0) << r.err;
  auto ch = nlohmann::json::parse(r.out);
  EXPECT_EQ(ch["uploaded"], 0);
  EXPECT_EQ(ch["reused"], ch["unique"]);
  EXPECT_FALSE(ch["presence"]["reason"].get<std::string>().empty());

  test::write_file(dir / "vacuum.yaml", {'g', 'o', 'l', 'd', 'e', 'n', '_', 'i', 'm', 'a', 'g', 'e', 's', ':', ' ', '[', '1', ']', '\n'});
  r = cli({"vacuum", "--bucket", bucket, "--edition", "testing", "--config", dir / "vacuum.yaml", "--out", dir / "vac", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto va = nlohmann::json::parse(r.out);
  EXPECT_EQ(va["keep"], nlohmann::json::array({"202603240254"}));
  EXPECT_EQ(va["deleted"], false);
  // Same entries as the staged manifest (vacuum lists in listing order, stage in KDE's glob order).
  auto lines = [](const std::string& path) {
    auto b = test::read_file(path);
    std::multiset<std::string> out;
    for (const auto& e : parse_sha256sums(std::string(b.begin(), b.end()), path)) out.insert(e.sha256 + " " + e.name);
    return out;
  };
  EXPECT_EQ(lines(dir / "vac/testing/sysupdate/v2/SHA256SUMS"), lines(dir / "tree/testing/sysupdate/v2/SHA256SUMS"));

  test::write_file(dir / "bad.yaml", {'g', 'o', 'l', 'd', 'e', 'n', '_', 'i', 'm', 'a', 'g', 'e', 's', ':', ' ', '[', '1', '\n'});
  r = cli({"vacuum", "--bucket", bucket, "--edition", "testing", "--config", dir / "bad.yaml", "--out", dir / "vac2"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(dir / "bad.yaml:"), std::string::npos) << r.err;

  r = cli({"prune", "--bucket", bucket, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto pr = nlohmann::json::parse(r.out);
  EXPECT_EQ(pr["indexes"].size(), 2u);  // the caibx and its .erofs.caibx copy
  EXPECT_EQ(pr["garbage"], 0);
  EXPECT_EQ(pr["stored"], pr["referenced"]);

  r = Cli{{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "HOME=" + dir.path()}}({"upload", "--to", bucket, dir / "tree"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no S3 credentials"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace chunkbench::publish
