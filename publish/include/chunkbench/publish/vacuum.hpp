#pragma once
// vacuum: per edition, keep the newest releases plus vacuum.yaml's tombstone and golden ones,
// delete the rest, and regenerate both SHA256SUMS from the objects' stored SHA-256 metadata
// (x-amz-meta-x-kde-sha256), never by downloading or re-hashing (kde-linux-pipeline.md §8). An
// object without the metadata is an error before anything is deleted, not a broken "  name" line.
#include <cstdint>
#include <string>
#include <vector>

#include "chunkbench/publish/sha256sums.hpp"
#include "chunkbench/publish/upload_tree.hpp"
#include "chunkbench/publish/vacuum_policy.hpp"
#include "chunkbench/s3_client.hpp"

namespace chunkbench::publish {

struct VacuumSpec {
  EditionLayout layout;
  std::string prefix;          // bucket-relative prefix of the edition directories ("" or ending in '/')
  VacuumConfig config;
  std::size_t keep_newest = 4;
  Naming naming;
};

struct VacuumPlan {
  RetentionPlan releases;
  std::vector<std::string> delete_keys;      // objects of the removed releases (bucket-relative)
  std::vector<SumEntry> root_sums, sysupdate_sums;  // the regenerated manifests' entries
  std::uint64_t delete_bytes = 0;
};

// Lists the edition (non-recursively: <ed>/ and <ed>/<sysupdate>/) and reads the metadata of the
// kept objects. Throws before any change for a missing checksum or an edition with no release.
VacuumPlan plan_vacuum(s3::Client& client, const VacuumSpec& spec);
// Writes <tree>/<ed>/SHA256SUMS and <tree>/<ed>/<sysupdate>/SHA256SUMS (a manifest with no entry
// is not written); returns their tree-relative paths.
std::vector<std::string> write_vacuum_manifests(const VacuumPlan& plan, const VacuumSpec& spec, const std::string& tree);
// Deletes plan.delete_keys.
void apply_vacuum(s3::Client& client, const VacuumPlan& plan);

}  // namespace chunkbench::publish
