// SHA256SUMS: what we write is GNU sha256sum's form and what systemd-sysupdate accepts; what we
// reject, systemd rejects too, with the line named.
#include "chunkbench/publish/sha256sums.hpp"

#include <gtest/gtest.h>

#include "../core/test_util.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/publish/process.hpp"

namespace chunkbench::publish {
namespace {

const std::string kHex(64, 'a');

void expect_error(std::string_view text, const std::string& needle) {
  try {
    parse_sha256sums(text, "SHA256SUMS");
    FAIL() << "accepted: " << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_input);
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Sha256Sums, WritesGnuFormatThatSha256sumChecks) {
  test::TempDir dir;
  test::write_file(dir / "kde-linux_1.efi", {'e', 'f', 'i'});
  test::write_file(dir / "kde-linux_1_root-x86-64.erofs", test::random_data(100000, 1));
  std::vector<SumEntry> entries;
  for (auto n : {"kde-linux_1.efi", "kde-linux_1_root-x86-64.erofs"}) entries.push_back({sha256_file(dir / n), n});
  write_sha256sums(dir / "SHA256SUMS", entries);
  auto bytes = test::read_file(dir / "SHA256SUMS");
  std::string text(bytes.begin(), bytes.end());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.substr(64, 2), "  ");
  // GNU coreutils is the reference for the format.
  auto r = run_process({"sh", "-c", "cd '" + dir.path() + "' && sha256sum --strict -c SHA256SUMS"});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  auto parsed = parse_sha256sums(text, "SHA256SUMS");
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[1].name, "kde-linux_1_root-x86-64.erofs");
  EXPECT_EQ(parsed[0].sha256, entries[0].sha256);
}

TEST(Sha256Sums, WriterRefusesWhatSysupdateCannotUse) {
  EXPECT_THROW(format_sha256sums({}, "x"), Error);
  EXPECT_THROW(format_sha256sums({{kHex, "kde-linux_1_root-x86-64.erofs.caibx"}}, "x"), Error);
  EXPECT_THROW(format_sha256sums({{"", "kde-linux_1.efi"}}, "x"), Error);  // a missing digest is no "  name" line
  EXPECT_THROW(format_sha256sums({{kHex, "sub/kde-linux_1.efi"}}, "x"), Error);
  EXPECT_THROW(format_sha256sums({{kHex, "a"}, {kHex, "a"}}, "x"), Error);
  EXPECT_EQ(format_sha256sums({{std::string(64, 'A'), "a"}}, "x"), std::string(64, 'a') + "  a\n");
}

TEST(Sha256Sums, ParserFollowsSystemd) {
  EXPECT_EQ(parse_sha256sums(kHex + " *binary.raw\n", "m")[0].name, "binary.raw");
  EXPECT_TRUE(parse_sha256sums("", "m").empty());
  expect_error(kHex + "  a\n" + kHex + "  b", "SHA256SUMS:2: truncated manifest");
  expect_error(kHex + "  a\n\n", "SHA256SUMS:2: bad digest");
  expect_error(std::string(63, 'a') + "   a\n", "SHA256SUMS:1: bad digest");
  expect_error(kHex + " -a\n", "mode character");
  expect_error(kHex + "  /etc/passwd\n", "'/'");
  expect_error(kHex + "  ..\n", ". or ..");
  expect_error(kHex + "  a\tb\n", "control character");
  expect_error(kHex + "  a\xff\n", "not valid UTF-8");
  expect_error(std::string("x\0y\n", 4), "NUL");
}

}  // namespace
}  // namespace chunkbench::publish
