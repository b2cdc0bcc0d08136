// Every --json document (and the --stats-out records) says what it is and its version, and
// 64-bit index flags are strings: a reader must never have to guess a document's shape.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.hpp"

namespace chunkbench {
namespace {

nlohmann::json json_of(const std::string& args, int want_status = 0) {
  auto r = test::run(test::chunkbench_bin() + " " + args + " 2>/dev/null");
  EXPECT_EQ(r.status, want_status) << args << "\n" << r.out;
  auto brace = r.out.find('{');
  if (brace == std::string::npos) {
    ADD_FAILURE() << "no JSON from " << args << ":\n" << r.out;
    return {};
  }
  return nlohmann::json::parse(r.out.substr(brace));
}

TEST(JsonSchema, EveryDocumentNamesItsSchema) {
  test::TempDir dir;
  const std::string bin = test::chunkbench_bin();
  auto ti = json_of("testimage --kind synthetic --size 1M --json --out " + dir.path());
  EXPECT_EQ(ti["schema"], "chunkbench.testimage/1");
  const std::string v1 = dir / "v1.img", v2 = dir / "v2.img", store = dir / "store";

  auto mk = json_of("make --json -s " + store + " " + dir / "v2.caibx" + " " + v2);
  EXPECT_EQ(mk["schema"], "chunkbench.make/1");
  EXPECT_GT(mk["chunks"].get<int>(), 0);
  ASSERT_EQ(test::run(bin + " make " + dir / "v1.img.caibx" + " " + v1).status, 0);

  auto info = json_of("info --json -s " + store + " --seed " + v1 + " " + dir / "v2.caibx");
  EXPECT_EQ(info["schema"], "chunkbench.info/1");
  // 0xB000000000000000 (SHA-512/256 + casync's blob flags) does not fit a double exactly.
  ASSERT_TRUE(info["flags"].is_string());
  EXPECT_EQ(info["flags"], "12682136550675316736");
  EXPECT_EQ(info["missing"], 0);

  auto cmp = json_of("info --compare --json " + dir / "v1.img.caibx" + " " + dir / "v2.caibx");
  EXPECT_EQ(cmp["schema"], "chunkbench.compare/1");

  auto ver = json_of("verify --json -s " + store);
  EXPECT_EQ(ver["schema"], "chunkbench.verify/1");
  EXPECT_EQ(ver["bad"].size(), 0u);

  auto ex = json_of("extract --json -s " + store + " --seed " + v1 + " --stats-out " + dir / "requests.json" + " " +
                    dir / "v2.caibx" + " " + dir / "out.img");
  EXPECT_EQ(ex["schema"], "chunkbench.extract/1");
  EXPECT_EQ(ex["bytes_total"], std::filesystem::file_size(v2));
  EXPECT_TRUE(ex.contains("network") && ex["network"].contains("requested"));
  auto records = nlohmann::json::parse(test::run("cat " + dir / "requests.json").out);
  EXPECT_EQ(records["schema"], "chunkbench.requests/1");
  EXPECT_TRUE(records["records"].empty());  // a local store: no HTTP request
}

}  // namespace
}  // namespace chunkbench
