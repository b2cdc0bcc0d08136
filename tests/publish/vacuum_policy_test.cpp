// Retention: newest 4 plus tombstone and golden versions; vacuum.yaml parsed strictly.
#include "chunkbench/publish/vacuum_policy.hpp"

#include <gtest/gtest.h>

#include "../core/test_util.hpp"
#include "chunkbench/error.hpp"

namespace chunkbench::publish {
namespace {

void expect_yaml_error(const std::string& text, const std::string& needle) {
  try {
    parse_vacuum_yaml(text, "vacuum.yaml");
    FAIL() << "accepted: " << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_input);
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(VacuumPolicy, ParsesVacuumYaml) {
  auto c = parse_vacuum_yaml("tombstone_images:\n  - 202501010000\n  - \"202502010000\"\ngolden_images: [202503010000]\n", "v");
  EXPECT_EQ(c.tombstone, (std::set<std::string>{"202501010000", "202502010000"}));
  EXPECT_EQ(c.golden, (std::set<std::string>{"202503010000"}));
  EXPECT_TRUE(parse_vacuum_yaml("", "v").tombstone.empty());
  EXPECT_TRUE(parse_vacuum_yaml("golden_images:\n", "v").golden.empty());
}

TEST(VacuumPolicy, MalformedYamlNamesFileAndLine) {
  expect_yaml_error("tombstone_images:\n  - 1\n golden_images: [2\n", "vacuum.yaml:");
  expect_yaml_error("tombstone_images: [1]\ngolden: [2]\n", "vacuum.yaml:2: unknown key 'golden'");
  expect_yaml_error("tombstone_images:\n  - 1\n  - latest\n", "vacuum.yaml:3: tombstone_images: 'latest' is not a decimal version");
  expect_yaml_error("golden_images: 5\n", "vacuum.yaml:1: golden_images must be a list");
  expect_yaml_error("- 1\n- 2\n", "vacuum.yaml:1: expected a mapping");
  expect_yaml_error("golden_images:\n  - {a: 1}\n", "vacuum.yaml:2:");
  test::TempDir dir;
  test::write_file(dir / "vacuum.yaml", {'[', '\n'});
  try {
    load_vacuum_yaml(dir / "vacuum.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "vacuum.yaml:"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_vacuum_yaml(dir / "absent.yaml"), Error);
}

TEST(VacuumPolicy, KeepsNewestFourAndProtected) {
  VacuumConfig c;
  c.tombstone = {"202501010000"};
  c.golden = {"202502010000", "209901010000"};  // a golden version that is not present is no release
  std::vector<std::string> keys = {"202501010000", "202502010000", "202503010000", "202504010000", "202505010000",
                                   "202506010000", "202507010000", "202506010000"};
  auto p = plan_retention(keys, c);
  EXPECT_EQ(p.keep, (std::vector<std::string>{"202507010000", "202506010000", "202505010000", "202504010000",
                                              "202502010000", "202501010000"}));
  EXPECT_EQ(p.remove, std::vector<std::string>{"202503010000"});
  auto few = plan_retention({"2", "1"}, {}, 4);
  EXPECT_EQ(few.keep.size(), 2u);
  EXPECT_TRUE(few.remove.empty());
}

}  // namespace
}  // namespace chunkbench::publish
