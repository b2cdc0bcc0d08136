#pragma once
// Which releases of an edition stay (kde-linux-pipeline.md §8): the newest N release keys (4 by
// default) plus every version that vacuum.yaml protects as a tombstone (last version of an old
// update line) or a golden image. Protection is forever; deleting a release removes all its files.
#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace chunkbench::publish {

struct VacuumConfig {
  std::set<std::string> tombstone;  // release keys
  std::set<std::string> golden;
  bool is_protected(const std::string& key) const { return tombstone.count(key) || golden.count(key); }
};

// Strict: a mapping with only `tombstone_images` and `golden_images`, each a sequence of decimal
// versions (an empty document or a missing key is an empty list). Anything else is an
// Errc::invalid_input naming `where` and the line (1-based) at fault.
VacuumConfig parse_vacuum_yaml(std::string_view text, const std::string& where);
VacuumConfig load_vacuum_yaml(const std::string& path);

struct RetentionPlan {
  std::vector<std::string> keep;    // newest first, then the protected older ones (newest first)
  std::vector<std::string> remove;  // newest first
};

// `keys` may repeat (one per file) and come in any order.
RetentionPlan plan_retention(std::vector<std::string> keys, const VacuumConfig& config, std::size_t keep_newest = 4);

}  // namespace chunkbench::publish
