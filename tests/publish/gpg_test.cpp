// Detached signatures of SHA256SUMS with throwaway keys (ed25519, like KDE's release key): sign
// with a GNUPGHOME or an exported secret key, verify against a keyring; a tampered manifest, an
// unknown key and a signature of another file each fail with their own clear error.
#include "chunkbench/publish/gpg.hpp"

#include <gtest/gtest.h>

#include "../core/test_util.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/publish/process.hpp"
#include "gpg_fixture.hpp"

namespace chunkbench::publish {
namespace {

void put(const std::string& path, const std::string& text) {
  test::write_file(path, std::vector<std::uint8_t>(text.begin(), text.end()));
}

template <class F>
std::string error_of(F f, Errc expected) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), expected) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(Gpg, SignAndVerifyAndRefuse) {
  if (run_process({"sh", "-c", "command -v gpg"}).status != 0) GTEST_SKIP() << "gpg is not installed";
  test::ThrowawayKey key("chunkbench test <release@example.invalid>");
  test::ThrowawayKey stranger("stranger <other@example.invalid>");
  test::TempDir dir;
  const std::string sums = dir / "SHA256SUMS";
  put(sums, std::string(64, 'a') + "  kde-linux_1.efi\n");

  sign_detached(sums, sums + ".gpg", {key.home(), "", key.fingerprint()});
  auto sig = test::read_file(sums + ".gpg");
  ASSERT_FALSE(sig.empty());
  EXPECT_NE(sig[0], '-') << "signature is armoured; systemd-pull expects binary";
  EXPECT_EQ(verify_detached(sums, sums + ".gpg", key.pubring()).fingerprint, key.fingerprint());

  // Signing from an exported secret key file (CI secret) gives a signature the same keyring accepts.
  sign_detached(sums, dir / "again.gpg", {"", key.secret(), ""});
  EXPECT_EQ(verify_detached(sums, dir / "again.gpg", key.pubring()).fingerprint, key.fingerprint());

  auto unknown = error_of([&] { verify_detached(sums, sums + ".gpg", stranger.pubring()); }, Errc::invalid_input);
  EXPECT_NE(unknown.find("does not hold"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find(stranger.pubring()), std::string::npos) << unknown;

  put(dir / "other", "other manifest\n");
  sign_detached(dir / "other", dir / "other.gpg", {key.home(), "", ""});
  auto wrong = error_of([&] { verify_detached(sums, dir / "other.gpg", key.pubring()); }, Errc::corrupt);
  EXPECT_NE(wrong.find("BAD signature"), std::string::npos) << wrong;

  put(sums, std::string(64, 'b') + "  kde-linux_1.efi\n");  // tampered after signing
  auto tampered = error_of([&] { verify_detached(sums, sums + ".gpg", key.pubring()); }, Errc::corrupt);
  EXPECT_NE(tampered.find("changed after signing"), std::string::npos) << tampered;

  put(dir / "garbage.gpg", "not a signature");
  auto garbage = error_of([&] { verify_detached(sums, dir / "garbage.gpg", key.pubring()); }, Errc::invalid_input);
  EXPECT_NE(garbage.find("not a valid signature"), std::string::npos) << garbage;

  auto nokey = error_of([&] { sign_detached(sums, dir / "x.gpg", {key.home(), "", "nobody@example.invalid"}); },
                        Errc::invalid_input);
  EXPECT_NE(nokey.find("nobody@example.invalid"), std::string::npos) << nokey;
  EXPECT_FALSE(std::filesystem::exists(dir / "x.gpg"));
}

}  // namespace
}  // namespace chunkbench::publish
