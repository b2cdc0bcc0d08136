#include "chunkbench/chunk_layout.hpp"

namespace chunkbench {

namespace {

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string ChunkLayout::path(const ChunkId& id) const {
  std::string hex = id.hex();
  return hex.substr(0, 4) + "/" + hex + std::string(extension());
}

bool ChunkLayout::is_prefix(std::string_view name) { return name.size() == 4 && is_hex(name); }

std::optional<ChunkId> ChunkLayout::parse(std::string_view prefix, std::string_view name) const {
  const std::string_view ext = extension();
  if (name.size() != 64 + ext.size() || name.substr(64) != ext) return std::nullopt;
  std::string_view hex = name.substr(0, 64);
  if (!is_hex(hex) || hex.substr(0, 4) != prefix) return std::nullopt;
  return ChunkId::from_hex(hex);
}

}  // namespace chunkbench
