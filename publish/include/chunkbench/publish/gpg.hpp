#pragma once
// Detached OpenPGP signatures of a manifest (SHA256SUMS.gpg), made and checked with the gpg binary
// the way KDE's upload.sh and systemd-pull do (kde-linux-pipeline.md §10): a binary (not armoured)
// `--detach-sign`, and a verification against one keyring file with no default keyring and
// `--trust-model=always`. Every run uses its own temporary GNUPGHOME unless the caller gives one,
// so nothing of the user's keyring leaks in and the agent it started is stopped afterwards.
#include <string>

namespace chunkbench::publish {

// Who signs. Either `homedir` (an existing GNUPGHOME holding the secret key) or `secret_key_file`
// (an exported secret key, imported into a temporary GNUPGHOME for this one signature). `key`
// selects the key (--local-user: fingerprint, key id or user id); empty: gpg's default key.
struct SignKey {
  std::string homedir;
  std::string secret_key_file;
  std::string key;
};

// Writes `signature` (temporary name, renamed when gpg succeeded). Errors quote gpg's message.
void sign_detached(const std::string& file, const std::string& signature, const SignKey& key);

struct Verified {
  std::string fingerprint;  // of the signing (sub)key, from gpg's VALIDSIG status
};

// Checks `signature` over `file` against the public keys of `keyring` (a binary OpenPGP keyring,
// e.g. `gpg --export > pubring.pgp`, or an armoured export). Throws Errc::corrupt for a bad
// signature ("manifest changed after signing?"), Errc::invalid_input for a signature by a key the
// keyring lacks or an unreadable signature, each naming the files and the key id.
Verified verify_detached(const std::string& file, const std::string& signature, const std::string& keyring);

}  // namespace chunkbench::publish
