#include "chunkbench/publish/vacuum_policy.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"

namespace chunkbench::publish {
namespace {

std::string at(const std::string& where, const YAML::Node& n) {
  return where + ":" + std::to_string(n.Mark().line + 1) + ": ";
}

void read_versions(const YAML::Node& node, const std::string& key, const std::string& where, std::set<std::string>& out) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) throw Error(Errc::invalid_input, at(where, node) + key + " must be a list of versions");
  for (const auto& item : node) {
    if (!item.IsScalar()) throw Error(Errc::invalid_input, at(where, item) + key + ": expected a version, got a " +
                                                               (item.IsMap() ? "mapping" : "list"));
    const std::string v = item.Scalar();
    if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
      throw Error(Errc::invalid_input, at(where, item) + key + ": '" + v + "' is not a decimal version");
    out.insert(v);
  }
}

}  // namespace

VacuumConfig parse_vacuum_yaml(std::string_view text, const std::string& where) {
  VacuumConfig config;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw Error(Errc::invalid_input, where + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return config;
  if (!root.IsMap()) throw Error(Errc::invalid_input, at(where, root) + "expected a mapping with tombstone_images and golden_images");
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    if (key == "tombstone_images") {
      read_versions(kv.second, key, where, config.tombstone);
    } else if (key == "golden_images") {
      read_versions(kv.second, key, where, config.golden);
    } else {
      throw Error(Errc::invalid_input, at(where, kv.first) + "unknown key '" + key +
                                           "' (expected tombstone_images or golden_images)");
    }
  }
  return config;
}

VacuumConfig load_vacuum_yaml(const std::string& path) {
  auto bytes = read_whole_file(path);
  return parse_vacuum_yaml(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
}

RetentionPlan plan_retention(std::vector<std::string> keys, const VacuumConfig& config, std::size_t keep_newest) {
  std::sort(keys.begin(), keys.end(), std::greater<>());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  RetentionPlan plan;
  std::vector<std::string> protected_old;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i < keep_newest) plan.keep.push_back(keys[i]);
    else if (config.is_protected(keys[i])) protected_old.push_back(keys[i]);
    else plan.remove.push_back(keys[i]);
  }
  plan.keep.insert(plan.keep.end(), protected_old.begin(), protected_old.end());
  return plan;
}

}  // namespace chunkbench::publish
