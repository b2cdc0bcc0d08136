#pragma once
// Where a chunk lives inside a store, the one definition shared by the local, HTTP (and S3)
// stores: <id[0:4]>/<id>.cacnk for zstd chunks, <id[0:4]>/<id> for an uncompressed store, as
// casync and desync lay them out. Writers put temporary files beside the chunk under a prefix
// readers and listings skip.
#include <optional>
#include <string>
#include <string_view>

#include "chunkbench/digest.hpp"

namespace chunkbench {

struct ChunkLayout {
  bool compressed = true;

  static constexpr std::string_view kExtension = ".cacnk";
  static constexpr std::string_view kTempPrefix = ".tmp-cacnk";

  std::string_view extension() const { return compressed ? kExtension : std::string_view(); }
  // "abcd/abcd….cacnk", relative to the store's root.
  std::string path(const ChunkId& id) const;
  // The chunk a file `name` in prefix directory `prefix` holds, or nullopt for any other file
  // (temporary files, foreign files, a chunk filed under the wrong prefix).
  std::optional<ChunkId> parse(std::string_view prefix, std::string_view name) const;
  // True for a 4-hex-digit prefix directory name.
  static bool is_prefix(std::string_view name);
};

}  // namespace chunkbench
