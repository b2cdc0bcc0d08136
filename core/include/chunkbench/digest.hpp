#pragma once
// Chunk IDs and the two digests casync/desync use. Which one applies is decided by the index
// header's SHA512_256 flag, never guessed from data.
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace chunkbench {

enum class DigestKind { sha512_256, sha256 };

const char* digest_name(DigestKind k) noexcept;
// Accepts "sha512-256" (also "sha512/256", "sha512_256") and "sha256"; throws a usage error otherwise.
DigestKind parse_digest(std::string_view name);

struct ChunkId {
  std::array<std::uint8_t, 32> bytes{};

  std::string hex() const;
  // Throws Errc::invalid_input naming `where` unless `hex` is 64 hex characters.
  static ChunkId from_hex(std::string_view hex, std::string_view where = "chunk id");
  bool operator==(const ChunkId&) const = default;
  auto operator<=>(const ChunkId&) const = default;
};

struct ChunkIdHash {
  std::size_t operator()(const ChunkId& id) const noexcept {
    std::size_t h;  // IDs are uniformly distributed digests: any 8 bytes are a good hash
    std::memcpy(&h, id.bytes.data(), sizeof h);
    return h;
  }
};

// One reusable hashing context; not thread-safe, cheap to create one per thread.
class Hasher {
 public:
  explicit Hasher(DigestKind kind);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  ChunkId digest(std::span<const std::uint8_t> data);
  // Streaming form for data that does not sit in one buffer.
  void begin();
  void update(std::span<const std::uint8_t> data);
  ChunkId finish();
  DigestKind kind() const noexcept { return kind_; }

 private:
  struct Impl;
  DigestKind kind_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chunkbench

template <>
struct std::hash<chunkbench::ChunkId> : chunkbench::ChunkIdHash {};
