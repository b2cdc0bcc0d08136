// Certificates made on demand so that a client can keep verification on against a test server.
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "chunkbench/error.hpp"
#include "tls.hpp"

namespace chunkbench::server {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw Error(Errc::io, "generate certificate: " + what + ": " + ssl_error_text());
}

PkeyPtr new_key() {
  // P-256: generated in milliseconds and cheaper per handshake than RSA-2048.
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) fail("EC key");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) fail(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (!ok) fail(std::string("add extension ") + OBJ_nid2sn(nid));
}

X509Ptr new_cert(const char* common_name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                 const std::string& san = {}) {
  X509Ptr cert(X509_new());
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3)) fail("X509_new");
  BIGNUM* serial = BN_new();
  if (!serial || !BN_rand(serial, 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
      !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()))) {
    BN_free(serial);
    fail("serial number");
  }
  BN_free(serial);
  // Valid from an hour ago (clock skew between namespaces or hosts) for 30 days.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("chunkbench"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  if (!X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) || !X509_set_pubkey(cert.get(), key))
    fail("issuer/public key");
  add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (ca) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    add_ext(cert.get(), signer, NID_subject_alt_name, san.c_str());
  }
  if (!X509_sign(cert.get(), issuer_key, EVP_sha256())) fail("sign");
  return cert;
}

}  // namespace

std::string ssl_error_text() {
  unsigned long e = ERR_get_error();
  std::string text = e ? ERR_error_string(e, nullptr) : "no OpenSSL error queued";
  ERR_clear_error();
  return text;
}

GeneratedCert generate_ca() {
  GeneratedCert g;
  g.ca_key = new_key();
  g.ca = new_cert("chunkbench test CA", g.ca_key.get(), nullptr, g.ca_key.get(), true);
  return g;
}

void issue_server_cert(GeneratedCert& g, const std::string& listen_ip) {
  g.key = new_key();
  // The listen address too, so a client in another network namespace (netem runs) can verify
  // https://SERVER_ADDR/ without --resolve tricks.
  std::string san = "IP:127.0.0.1,IP:::1,DNS:localhost";
  if (!listen_ip.empty() && listen_ip != "127.0.0.1" && listen_ip != "::1" && listen_ip != "0.0.0.0" && listen_ip != "::")
    san += ",IP:" + listen_ip;
  g.cert = new_cert("localhost", g.key.get(), g.ca.get(), g.ca_key.get(), false, san);
}

namespace {

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return text;
}

}  // namespace

std::string to_pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio || !PEM_write_bio_X509(bio, cert)) {
    BIO_free(bio);
    fail("PEM encode");
  }
  return bio_text(bio);
}

std::string key_to_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (!bio || !PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr)) {
    BIO_free(bio);
    fail("PEM encode key");
  }
  return bio_text(bio);
}

}  // namespace chunkbench::server
