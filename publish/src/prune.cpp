#include "chunkbench/publish/prune.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "chunkbench/error.hpp"
#include "chunkbench/index.hpp"
#include "chunkbench/s3_store.hpp"

namespace chunkbench::publish {
namespace {

bool is_index_key(const std::string& key) { return key.size() > 6 && key.compare(key.size() - 6, 6, ".caibx") == 0; }

}  // namespace

PruneReport prune_store(s3::Client& client, PruneStore& store, const PruneSpec& spec) {
  PruneReport rep;
  std::vector<std::string> prefixes;
  client.list(spec.edition_root, [](const s3::ListedObject&) {}, "/", [&](const std::string& dir) {
    const std::string rel = dir.substr(spec.edition_root.size());
    if (std::find(spec.skip_dirs.begin(), spec.skip_dirs.end(), rel) == spec.skip_dirs.end()) prefixes.push_back(dir);
  });
  prefixes.insert(prefixes.end(), spec.extra_prefixes.begin(), spec.extra_prefixes.end());

  std::unordered_set<ChunkId, ChunkIdHash> keep;
  auto mark = [&](const Index& index) {
    for (const auto& e : index.entries) keep.insert(e.id);
  };
  for (const auto& p : prefixes) {
    std::vector<std::string> keys;
    client.list(p, [&](const s3::ListedObject& o) {
      if (is_index_key(o.key)) keys.push_back(o.key);
    });
    for (const auto& k : keys) {
      const std::string url = client.endpoint().url(k);
      auto body = client.get(k);
      if (!body) throw Error(Errc::not_found, url + ": index listed but gone; run prune again");
      mark(Index::parse(*body, url));
      rep.indexes.push_back(url);
    }
  }
  for (const auto& path : spec.local_indexes) {
    mark(Index::read(path));
    rep.indexes.push_back(path);
  }
  if (rep.indexes.size() < spec.min_indexes)
    throw Error(Errc::invalid_input, "prune refused: found " + std::to_string(rep.indexes.size()) +
                                         " index(es), fewer than the sanity floor of " + std::to_string(spec.min_indexes) +
                                         " (a broken listing would delete the whole store)");
  rep.referenced = keep.size();

  const std::int64_t now = spec.now ? spec.now
                                    : std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<ChunkId> garbage;
  store.list([&](const StoredChunk& c) {
    ++rep.stored;
    rep.stored_bytes += c.size;
    if (keep.count(c.id)) return;
    if (c.mtime == 0 || now - c.mtime < spec.grace_seconds) {
      ++rep.young;  // unknown age counts as young: never delete what might be in flight
      return;
    }
    garbage.push_back(c.id);
    ++rep.garbage;
    rep.garbage_bytes += c.size;
  });
  if (spec.really_delete) {
    if (auto* s3 = dynamic_cast<S3Store*>(&store)) {  // concurrent DELETEs
      std::vector<std::string> keys;
      for (const auto& id : garbage) keys.push_back(s3->key_of(id));
      s3->client().remove_many(keys);
    } else {
      for (const auto& id : garbage) store.remove(id);
    }
    rep.deleted = true;
  }
  return rep;
}

}  // namespace chunkbench::publish
