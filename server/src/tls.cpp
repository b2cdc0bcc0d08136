#include <openssl/err.h>

#include <span>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "tls.hpp"

#include "listener.hpp"

namespace chunkbench::server {
namespace {

// Server preference: the first of our protocols that the client offers. No overlap (or no ALPN at all)
// means NOACK, which lets old clients fall back to HTTP/1.1 if it is enabled.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                void* arg) {
  const auto* tls = static_cast<const TlsContext*>(arg);
  const auto& ours = tls->alpn;
  for (std::size_t i = 0; i < ours.size(); i += 1 + ours[i]) {
    for (unsigned int j = 0; j < inlen; j += 1u + in[j]) {
      if (j + 1u + in[j] > inlen) break;
      if (in[j] == ours[i] && std::equal(in + j + 1, in + j + 1 + in[j], ours.begin() + static_cast<long>(i) + 1)) {
        *out = in + j + 1;
        *outlen = in[j];
        return SSL_TLSEXT_ERR_OK;
      }
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

std::unique_ptr<TlsContext> make_tls_context(const Options& opt) {
  auto tls = std::make_unique<TlsContext>();
  tls->ctx.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX* ctx = tls->ctx.get();
  if (!ctx) throw Error(Errc::io, "SSL_CTX_new: " + ssl_error_text());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // RELEASE_BUFFERS stays off: freeing and reallocating the record buffers per read/write costs more
  // than the memory of idle connections saves here.
  SSL_CTX_clear_mode(ctx, SSL_MODE_RELEASE_BUFFERS);

  if (!opt.cert_file.empty() || !opt.key_file.empty()) {
    if (opt.cert_file.empty() || opt.key_file.empty())
      throw Error(Errc::usage, "--cert and --key go together");
    if (SSL_CTX_use_certificate_chain_file(ctx, opt.cert_file.c_str()) != 1)
      throw Error(Errc::invalid_input, "load certificate " + opt.cert_file + ": " + ssl_error_text());
    if (SSL_CTX_use_PrivateKey_file(ctx, opt.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      throw Error(Errc::invalid_input, "load key " + opt.key_file + ": " + ssl_error_text());
    if (SSL_CTX_check_private_key(ctx) != 1)
      throw Error(Errc::invalid_input, "key " + opt.key_file + " does not match certificate " + opt.cert_file);
  } else {
    // A fresh CA for --ca-out (or one that lives in memory only), else the per-user CA of --ca-dir.
    GeneratedCert g = opt.ca_out.empty() && !opt.ca_dir.empty() ? load_or_create_user_ca(opt.ca_dir, tls->ca_file)
                                                                 : generate_ca();
    issue_server_cert(g, parse_endpoint(opt.listen).host);
    if (SSL_CTX_use_certificate(ctx, g.cert.get()) != 1 || SSL_CTX_use_PrivateKey(ctx, g.key.get()) != 1)
      throw Error(Errc::io, "install generated certificate: " + ssl_error_text());
    if (!opt.ca_out.empty()) {
      tls->ca_file = opt.ca_out;
      const std::string pem = to_pem(g.ca.get());
      write_file_atomic(tls->ca_file,
                        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()));
    }
  }

  for (const auto& p : opt.protocols) {
    if (p != "h2" && p != "http/1.1")
      throw Error(Errc::usage, "unknown protocol '" + p + "' in --protocols (h2, http/1.1)");
    tls->alpn.push_back(static_cast<unsigned char>(p.size()));
    tls->alpn.insert(tls->alpn.end(), p.begin(), p.end());
  }
  if (tls->alpn.empty()) throw Error(Errc::usage, "--protocols is empty");
  tls->h1_enabled = false;
  for (const auto& p : opt.protocols) tls->h1_enabled |= p == "http/1.1";
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, tls.get());
  return tls;
}

}  // namespace chunkbench::server
