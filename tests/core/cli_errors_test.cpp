// Errors as the user sees them: main.cpp prints "chunkbench CMD: error: " once, and a bad value
// given on the command line is a usage error (exit 2).
#include <gtest/gtest.h>

#include "test_util.hpp"

using namespace chunkbench;

namespace {

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// main.cpp prints "chunkbench CMD: error: "; the message must not repeat the command name.
TEST(CliErrors, PrefixOnceAndUsageExitStatus) {
  test::TempDir dir;
  test::write_file(dir / "x.img", test::random_data(100000, 3));
  auto make = test::run(test::chunkbench_bin() + " make " + (dir / "x.img") + " " + dir.path() + "/./x.img");
  EXPECT_EQ(make.status, 2) << make.out;
  EXPECT_EQ(count_of(make.out, "make:"), 1u) << make.out;
  EXPECT_EQ(test::read_file(dir / "x.img"), test::random_data(100000, 3)) << "make x.img ./x.img changed the image";

  auto verify = test::run(test::chunkbench_bin() + " verify");
  EXPECT_EQ(verify.status, 2) << verify.out;
  EXPECT_EQ(count_of(verify.out, "verify:"), 1u) << verify.out;

  auto serve = test::run(test::chunkbench_bin() + " serve --root " + dir.path() + " --listen nowhere");
  EXPECT_EQ(serve.status, 2) << serve.out;
  EXPECT_EQ(count_of(serve.out, "serve:"), 1u) << serve.out;

  // Rejected while parsing, before any namespace or root check.
  auto netem = test::run(test::chunkbench_bin() + " netem check --delay soon");
  EXPECT_EQ(netem.status, 2) << netem.out;
  EXPECT_EQ(count_of(netem.out, "netem:"), 1u) << netem.out;
  EXPECT_NE(netem.out.find("soon"), std::string::npos) << netem.out;
}

}  // namespace
