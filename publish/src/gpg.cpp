#include "chunkbench/publish/gpg.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/publish/process.hpp"

namespace chunkbench::publish {
namespace {

namespace fs = std::filesystem;

// A private GNUPGHOME removed (with its agent stopped) when the scope ends.
class TempGnupgHome {
 public:
  TempGnupgHome() {
    std::string tmpl = (fs::temp_directory_path() / "chunkbench-gnupg-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw_errno("mkdtemp " + tmpl);
    path_ = tmpl;
  }
  ~TempGnupgHome() {
    try {
      run_process({"gpgconf", "--homedir", path_, "--kill", "all"});
    } catch (...) {  // no gpgconf: nothing was started by it either
    }
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempGnupgHome(const TempGnupgHome&) = delete;
  TempGnupgHome& operator=(const TempGnupgHome&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// gpg's own words for an error message: its non-empty stderr lines joined.
std::string gpg_message(const std::string& s) {
  std::string out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out.empty() ? "(no output)" : out;
}

ProcessResult gpg(const std::string& home, std::vector<std::string> args) {
  std::vector<std::string> argv{"gpg", "--homedir", home, "--batch", "--no-tty", "--quiet"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv);
}

// The status lines gpg writes with --status-fd 1: "[GNUPG:] KEYWORD args".
std::string status_arg(const std::string& status, const std::string& keyword) {
  std::istringstream in(status);
  for (std::string line; std::getline(in, line);) {
    const std::string tag = "[GNUPG:] " + keyword;
    if (line.rfind(tag, 0) != 0) continue;
    if (line.size() == tag.size()) return " ";
    if (line[tag.size()] == ' ') return line.substr(tag.size() + 1);
  }
  return "";
}

}  // namespace

void sign_detached(const std::string& file, const std::string& signature, const SignKey& key) {
  std::optional<TempGnupgHome> temp;
  std::string home = key.homedir;
  if (home.empty()) {
    if (key.secret_key_file.empty()) throw Error(Errc::usage, "signing " + file + ": no GNUPGHOME and no secret key file given");
    temp.emplace();
    home = temp->path();
    auto r = gpg(home, {"--import", key.secret_key_file});
    if (r.status != 0)
      throw Error(Errc::invalid_input, "cannot import the signing key " + key.secret_key_file + ": " + gpg_message(r.err));
  }
  const std::string tmp = temp_name_beside(signature, "sig");
  std::vector<std::string> args{"--yes", "--pinentry-mode", "loopback", "--passphrase", ""};
  if (!key.key.empty()) args.insert(args.end(), {"--local-user", key.key});
  args.insert(args.end(), {"--output", tmp, "--detach-sign", file});
  auto r = gpg(home, args);
  if (r.status != 0) {
    ::unlink(tmp.c_str());
    throw Error(Errc::invalid_input, "gpg could not sign " + file + (key.key.empty() ? "" : " with key " + key.key) + ": " +
                                         gpg_message(r.err));
  }
  if (::rename(tmp.c_str(), signature.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw_errno("rename " + tmp + " to " + signature, e);
  }
}

Verified verify_detached(const std::string& file, const std::string& signature, const std::string& keyring) {
  if (::access(keyring.c_str(), R_OK) != 0) throw_errno("keyring " + keyring);
  TempGnupgHome home;
  // gpg --keyring wants a binary keyring; importing also accepts an armoured export.
  const std::string ring = home.path() + "/trusted.gpg";
  auto imp = run_process({"gpg", "--homedir", home.path(), "--batch", "--no-tty", "--quiet", "--no-default-keyring",
                          "--keyring", ring, "--import", keyring});
  if (imp.status != 0) throw Error(Errc::invalid_input, "keyring " + keyring + " holds no readable public key: " + gpg_message(imp.err));
  auto r = run_process({"gpg", "--homedir", home.path(), "--no-options", "--no-default-keyring", "--batch", "--no-tty",
                        "--trust-model=always", "--keyring", ring, "--status-fd", "1", "--verify", signature, file});
  const std::string what = signature + " over " + file;
  if (std::string bad = status_arg(r.out, "BADSIG"); !bad.empty())
    throw Error(Errc::corrupt, "BAD signature " + what + " (by " + bad + "): the manifest changed after signing");
  if (std::string nokey = status_arg(r.out, "NO_PUBKEY"); !nokey.empty())
    throw Error(Errc::invalid_input, what + ": signed by key " + nokey + ", which keyring " + keyring + " does not hold");
  std::string valid = status_arg(r.out, "VALIDSIG");
  if (r.status != 0 || valid.empty() || status_arg(r.out, "GOODSIG").empty())
    throw Error(Errc::invalid_input, what + ": not a valid signature: " + gpg_message(r.err));
  return {valid.substr(0, valid.find(' '))};
}

}  // namespace chunkbench::publish
