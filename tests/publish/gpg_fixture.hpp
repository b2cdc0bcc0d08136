#pragma once
// A throwaway ed25519 signing key in its own GNUPGHOME (like openQA's test builds), exported as a
// public keyring and a secret key file; the agent is stopped when the fixture ends.
#include <stdexcept>
#include <string>
#include <vector>

#include "../core/test_util.hpp"
#include "chunkbench/publish/process.hpp"

namespace chunkbench::test {

using publish::ProcessResult;
using publish::run_process;

// A GNUPGHOME with one fresh signing key; its agent is stopped when the test ends.
class ThrowawayKey {
 public:
  explicit ThrowawayKey(const std::string& uid) {
    home_ = dir_.path();
    auto r = gpg({"--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "1d"});
    if (r.status != 0) throw std::runtime_error("gpg key generation failed: " + r.err);
    r = gpg({"--with-colons", "--list-secret-keys"});
    const std::string tag = "\nfpr:::::::::";  // field 10 of the first fpr record
    auto fpr = r.out.find(tag);
    if (fpr == std::string::npos) throw std::runtime_error("no fingerprint in: " + r.out);
    fingerprint_ = r.out.substr(fpr + tag.size(), 40);
    gpg({"--output", dir_ / "pub.pgp", "--export", fingerprint_});
    gpg({"--output", dir_ / "secret.pgp", "--export-secret-keys", fingerprint_});
  }
  ~ThrowawayKey() { run_process({"gpgconf", "--homedir", home_, "--kill", "all"}); }
  const std::string& home() const { return home_; }
  const std::string& fingerprint() const { return fingerprint_; }
  std::string pubring() const { return dir_ / "pub.pgp"; }
  std::string secret() const { return dir_ / "secret.pgp"; }

 private:
  ProcessResult gpg(std::vector<std::string> args) {
    std::vector<std::string> argv{"gpg", "--homedir", home_, "--batch", "--no-tty"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  }
  TempDir dir_;
  std::string home_, fingerprint_;
};

}  // namespace chunkbench::test
