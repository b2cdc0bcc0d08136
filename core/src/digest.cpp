#include "chunkbench/digest.hpp"

#include <openssl/evp.h>

#include "chunkbench/error.hpp"

namespace chunkbench {

const char* digest_name(DigestKind k) noexcept { return k == DigestKind::sha256 ? "sha256" : "sha512-256"; }

DigestKind parse_digest(std::string_view name) {
  if (name == "sha512-256" || name == "sha512/256" || name == "sha512_256") return DigestKind::sha512_256;
  if (name == "sha256") return DigestKind::sha256;
  throw Error(Errc::usage, "unknown digest '" + std::string(name) + "' (use sha512-256 or sha256)");
}

std::string ChunkId::hex() const {
  static const char* digits = "0123456789abcdef";
  std::string s(64, '0');
  for (std::size_t i = 0; i < 32; ++i) {
    s[2 * i] = digits[bytes[i] >> 4];
    s[2 * i + 1] = digits[bytes[i] & 15];
  }
  return s;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

ChunkId ChunkId::from_hex(std::string_view hex, std::string_view where) {
  ChunkId id;
  bool ok = hex.size() == 64;
  for (std::size_t i = 0; ok && i < 32; ++i) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) ok = false;
    else id.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  if (!ok) throw Error(Errc::invalid_input, std::string(where) + ": '" + std::string(hex) + "' is not a 64-hex-digit chunk id");
  return id;
}

struct Hasher::Impl {
  EVP_MD* md = nullptr;  // fetched once per hasher: EVP_get_digestbyname per call is slow in OpenSSL 3
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};

Hasher::Hasher(DigestKind kind) : kind_(kind), impl_(std::make_unique<Impl>()) {
  impl_->md = EVP_MD_fetch(nullptr, kind == DigestKind::sha256 ? "SHA256" : "SHA512-256", nullptr);
  impl_->ctx = EVP_MD_CTX_new();
  if (!impl_->md || !impl_->ctx) throw Error(Errc::io, std::string("OpenSSL has no ") + digest_name(kind) + " digest");
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::begin() {
  if (EVP_DigestInit_ex(impl_->ctx, impl_->md, nullptr) != 1) throw Error(Errc::io, "EVP_DigestInit_ex failed");
}

void Hasher::update(std::span<const std::uint8_t> data) {
  if (EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) != 1) throw Error(Errc::io, "EVP_DigestUpdate failed");
}

ChunkId Hasher::finish() {
  ChunkId id;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, id.bytes.data(), &len) != 1 || len != 32)
    throw Error(Errc::io, "EVP_DigestFinal_ex failed");
  return id;
}

ChunkId Hasher::digest(std::span<const std::uint8_t> data) {
  begin();
  update(data);
  return finish();
}

}  // namespace chunkbench
