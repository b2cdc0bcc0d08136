// Issue 11: `serve` without --ca-out left a CA file in $TMPDIR per run. Now one CA per user is kept in
// a private directory and reused; nothing is written to $TMPDIR.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "harness.hpp"

using namespace cbtest;
namespace fs = std::filesystem;

namespace {

unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 01000;  // "missing": no real mode has that bit
  return st.st_mode & 07777;
}

std::size_t entries(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

FetchResult get(const ServeProcess& s, const std::string& ca, long version) {
  FetchOptions o;
  o.ca = ca;
  o.http_version = version;
  return fetch(s.url("/a.bin"), o);
}

class ServeCa : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir / "www/a.bin", pattern(1000, 3));
    fs::create_directories(dir / "tmp");
    fs::create_directories(dir / "run");
    fs::permissions(dir / "run", fs::perms::owner_all);
  }
  TempDir dir;
};

TEST_F(ServeCa, PerUserCaInRuntimeDirIsReusedAndTmpStaysEmpty) {
  const ServeSpawn how{{"XDG_RUNTIME_DIR=" + (dir / "run"), "TMPDIR=" + (dir / "tmp"), "HOME=" + (dir / "home")},
                       false};
  const std::string ca = dir / "run/chunkbench/ca.pem", key = dir / "run/chunkbench/ca-key.pem";
  std::string first_ca;
  {
    ServeProcess a(dir / "www", {}, dir, how);
    EXPECT_NE(a.output().find("CA certificate " + ca), std::string::npos) << a.output();
    FetchResult r = get(a, ca, CURL_HTTP_VERSION_2TLS);
    ASSERT_EQ(r.rc, CURLE_OK) << r.error;
    EXPECT_EQ(r.status, 200);
    first_ca = read_file(ca);
    ASSERT_NE(first_ca.find("BEGIN CERTIFICATE"), std::string::npos);
    EXPECT_EQ(mode_of(dir / "run/chunkbench"), 0700u);
    EXPECT_EQ(mode_of(ca), 0600u);
    EXPECT_EQ(mode_of(key), 0600u);
    // A second server at the same time signs with the same CA: one file verifies both.
    ServeProcess b(dir / "www", {}, dir, how);
    FetchResult rb = get(b, ca, CURL_HTTP_VERSION_1_1);
    ASSERT_EQ(rb.rc, CURLE_OK) << rb.error;
    EXPECT_EQ(rb.status, 200);
    EXPECT_EQ(read_file(ca), first_ca);
  }
  // A later run reuses it too, and no run wrote anything to $TMPDIR.
  ServeProcess c(dir / "www", {}, dir, how);
  EXPECT_EQ(get(c, ca, CURL_HTTP_VERSION_2TLS).status, 200);
  EXPECT_EQ(read_file(ca), first_ca);
  EXPECT_EQ(entries(dir / "tmp"), 0u);
  EXPECT_EQ(entries(dir / "run/chunkbench"), 3u);  // ca.pem, ca-key.pem, .lock
}

TEST_F(ServeCa, FallsBackToTheUserCacheWithoutARuntimeDir) {
  const ServeSpawn how{{"-u", "XDG_RUNTIME_DIR", "-u", "XDG_CACHE_HOME", "HOME=" + (dir / "home"),
                        "TMPDIR=" + (dir / "tmp")},
                       false};
  ServeProcess s(dir / "www", {}, dir, how);
  const std::string ca = dir / "home/.cache/chunkbench/ca.pem";
  EXPECT_EQ(get(s, ca, CURL_HTTP_VERSION_2TLS).status, 200);
  EXPECT_EQ(mode_of(dir / "home/.cache/chunkbench"), 0700u);
  EXPECT_EQ(entries(dir / "tmp"), 0u);
}

TEST_F(ServeCa, DamagedCaIsReplaced) {
  fs::create_directories(dir / "run/chunkbench");
  fs::permissions(dir / "run/chunkbench", fs::perms::owner_all);
  write_file(dir / "run/chunkbench/ca.pem", "not a certificate\n");
  write_file(dir / "run/chunkbench/ca-key.pem", "not a key\n");
  fs::permissions(dir / "run/chunkbench/ca.pem", fs::perms::owner_read | fs::perms::owner_write);
  fs::permissions(dir / "run/chunkbench/ca-key.pem", fs::perms::owner_read | fs::perms::owner_write);
  ServeProcess s(dir / "www", {"--ca-dir", dir / "run/chunkbench"}, dir, ServeSpawn{{}, false});
  FetchResult r = get(s, dir / "run/chunkbench/ca.pem", CURL_HTTP_VERSION_2TLS);
  ASSERT_EQ(r.rc, CURLE_OK) << r.error;
  EXPECT_EQ(r.status, 200);
}

TEST_F(ServeCa, CaDirectoryOpenToOthersIsRefused) {
  fs::create_directories(dir / "open");
  fs::permissions(dir / "open", fs::perms::all);
  CmdResult r = run_serve_expect_exit({"--root", dir / "www", "--ca-dir", dir / "open"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(dir / "open"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("other users"), std::string::npos) << r.output;
  EXPECT_EQ(entries(dir / "open"), 0u) << "nothing written into a directory we do not trust";
}

// --ca-out keeps its meaning: a fresh CA for this run in exactly that file.
TEST_F(ServeCa, CaOutWritesAFreshCaThere) {
  ServeProcess s(dir / "www", {}, dir);
  EXPECT_EQ(get(s, s.ca(), CURL_HTTP_VERSION_2TLS).status, 200);
  ServeProcess t(dir / "www", {}, dir);
  EXPECT_NE(read_file(s.ca()), read_file(t.ca()));
}

}  // namespace
