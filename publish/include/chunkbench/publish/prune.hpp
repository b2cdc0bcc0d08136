#pragma once
// prune: garbage-collects the shared chunk store against every index that may still be read: the
// .caibx of every edition directory of the bucket, of staged publishes (extra prefixes, e.g.
// ci-artifacts/<project>/p/), and local index files of publishes in flight. A chunk is deleted
// only when no index references it AND it is older than the grace period (default 24 h), so a
// publish that chopped its chunks but has not yet moved its index in loses nothing. Fewer indexes
// than the sanity floor means a broken listing, not an empty bucket: refused (KDE's guard 4f88901).
#include <cstdint>
#include <string>
#include <vector>

#include "chunkbench/s3_client.hpp"
#include "chunkbench/store.hpp"

namespace chunkbench::publish {

struct PruneSpec {
  std::string edition_root;                 // bucket-relative prefix holding the edition dirs ("" or ending '/')
  std::vector<std::string> skip_dirs = {"sysupdate/"};  // top-level dirs there that are not editions
  std::vector<std::string> extra_prefixes;  // more bucket-relative prefixes whose .caibx count (staging)
  std::vector<std::string> local_indexes;   // index files of in-flight publishes
  std::size_t min_indexes = 2;
  std::int64_t grace_seconds = 24 * 3600;
  std::int64_t now = 0;                     // seconds since the epoch; 0: the clock
  bool really_delete = false;
};

struct PruneReport {
  std::vector<std::string> indexes;         // what was marked from (URLs and paths)
  std::uint64_t referenced = 0;             // distinct chunk ids referenced
  std::uint64_t stored = 0, stored_bytes = 0;
  std::uint64_t young = 0;                  // unreferenced but within the grace period: kept
  std::uint64_t garbage = 0, garbage_bytes = 0;  // deleted (or, in a dry run, would be)
  bool deleted = false;
};

// `store` must be the bucket's chunk store (the S3 store of the same client, or any PruneStore).
PruneReport prune_store(s3::Client& client, PruneStore& store, const PruneSpec& spec);

}  // namespace chunkbench::publish
