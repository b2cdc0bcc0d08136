#pragma once
// RAII owners for the OpenSSL objects the server keeps, and the TLS context it serves with.
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "chunkbench/server/server.hpp"

namespace chunkbench::server {

struct SslFree {
  void operator()(SSL* p) const noexcept { SSL_free(p); }
  void operator()(SSL_CTX* p) const noexcept { SSL_CTX_free(p); }
  void operator()(X509* p) const noexcept { X509_free(p); }
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslFree>;
using X509Ptr = std::unique_ptr<X509, SslFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, SslFree>;

// The most recent OpenSSL error queue entry as text (and clears the queue).
std::string ssl_error_text();

// A certificate authority and a server certificate it signed for 127.0.0.1 / ::1 / localhost and,
// when it is another IP literal, the address the server listens on.
struct GeneratedCert {
  PkeyPtr ca_key, key;
  X509Ptr ca, cert;
};
GeneratedCert generate_ca();                                          // fills ca and ca_key
void issue_server_cert(GeneratedCert& g, const std::string& listen_ip);  // fills key and cert
std::string to_pem(X509* cert);
std::string key_to_pem(EVP_PKEY* key);  // unencrypted PKCS#8

// The per-user CA in `dir` (Options::ca_dir): loaded when ca.pem and ca-key.pem are there, ours, private
// and valid for another day; otherwise generated and stored (0600) under a lock, so concurrent runs end
// up with one CA. Throws naming the directory when it is not a private directory of this user.
// Returns the CA (ca, ca_key) and the path of ca.pem.
GeneratedCert load_or_create_user_ca(const std::string& dir, std::string& ca_file);

struct TlsContext {
  SslCtxPtr ctx;
  std::string ca_file;  // where the generated CA went; empty when --cert/--key were given
  // ALPN wire format of the protocols offered, in server preference order.
  std::vector<unsigned char> alpn;
  bool h1_enabled = true;
};
// Loads --cert/--key or generates a certificate (writing its CA to options.ca_out), and installs ALPN.
// The returned object must not move while connections exist (the ALPN callback points at it).
std::unique_ptr<TlsContext> make_tls_context(const Options& options);

}  // namespace chunkbench::server
