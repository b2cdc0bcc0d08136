// The per-user CA that `serve` without --ca-out reuses, so that runs leave nothing behind and clients
// keep trusting one file. Its key signs server certificates, so the directory must be private: a CA key
// another user could replace or read would let them impersonate every server it vouches for.
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <span>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "tls.hpp"

namespace chunkbench::server {
namespace {

// Creates `dir` (and missing parents) and checks that it is a real directory of this user that nobody
// else can enter.
void ensure_private_dir(const std::string& dir) {
  for (std::size_t at = 1; at <= dir.size(); ++at) {
    if (at != dir.size() && dir[at] != '/') continue;
    const std::string part = dir.substr(0, at);
    // Parents get the usual 0755 (e.g. ~/.cache); only the last component must be private.
    if (::mkdir(part.c_str(), at == dir.size() ? 0700 : 0755) != 0 && errno != EEXIST)
      throw_errno("create CA directory " + part);
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) throw_errno("CA directory " + dir);
  if (!S_ISDIR(st.st_mode)) throw Error(Errc::invalid_input, "CA directory " + dir + " is not a directory");
  if (st.st_uid != ::geteuid())
    throw Error(Errc::invalid_input, "CA directory " + dir + " belongs to another user (uid " +
                                         std::to_string(st.st_uid) + "); give --ca-dir or --ca-out");
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    throw Error(Errc::invalid_input, "CA directory " + dir + " is open to other users (mode " + mode +
                                         "); chmod 700 it or give --ca-dir");
  }
}

// The file's PEM text if it is a regular file of ours that nobody else can read; empty otherwise.
std::string read_private(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return {};
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) ||
      st.st_size > (1 << 20))
    return {};
  std::string text(static_cast<std::size_t>(st.st_size), '\0');
  const auto n = pread_full(fd.get(), {reinterpret_cast<std::uint8_t*>(text.data()), text.size()}, 0, path);
  text.resize(n);
  return text;
}

// The stored CA when it is complete, a CA, its key matches and it stays valid for at least a day.
bool load(const std::string& cert_path, const std::string& key_path, GeneratedCert& g) {
  const std::string cert_pem = read_private(cert_path), key_pem = read_private(key_path);
  if (cert_pem.empty() || key_pem.empty()) return false;
  BIO* cb = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  BIO* kb = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  if (cb) g.ca.reset(PEM_read_bio_X509(cb, nullptr, nullptr, nullptr));
  if (kb) g.ca_key.reset(PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr));
  BIO_free(cb);
  BIO_free(kb);
  ERR_clear_error();
  if (!g.ca || !g.ca_key || X509_check_private_key(g.ca.get(), g.ca_key.get()) != 1 || X509_check_ca(g.ca.get()) == 0) {
    ERR_clear_error();
    return false;
  }
  std::time_t in_a_day = std::time(nullptr) + 24 * 3600;
  return X509_cmp_time(X509_get0_notAfter(g.ca.get()), &in_a_day) > 0;
}

void store(const std::string& path, const std::string& pem) {
  write_file_atomic(path, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()),
                    0600);
}

}  // namespace

GeneratedCert load_or_create_user_ca(const std::string& dir, std::string& ca_file) {
  ensure_private_dir(dir);
  const std::string cert_path = dir + "/ca.pem", key_path = dir + "/ca-key.pem", lock_path = dir + "/.lock";
  // Two servers starting at once must not each store half a CA: load-or-create runs under a lock.
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock) throw_errno("open " + lock_path);
  while (::flock(lock.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw_errno("lock " + lock_path);
  GeneratedCert g;
  if (!load(cert_path, key_path, g)) {
    g = generate_ca();
    // Key first: a reader that sees the new ca.pem finds its key beside it (and takes the lock anyway).
    store(key_path, key_to_pem(g.ca_key.get()));
    store(cert_path, to_pem(g.ca.get()));
  }
  ca_file = cert_path;
  return g;  // the lock is released when `lock` closes
}

}  // namespace chunkbench::server
