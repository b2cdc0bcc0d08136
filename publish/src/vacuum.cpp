#include "chunkbench/publish/vacuum.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include "chunkbench/error.hpp"
#include "chunkbench/publish/upload.hpp"

namespace chunkbench::publish {
namespace {

struct Listed {
  std::string key, name, release;
  std::uint64_t size;
  bool root;
};

// Release objects directly in `dir` (no recursion), in listing (lexical) order.
void list_releases(s3::Client& client, const std::string& dir, bool root, const Naming& naming, std::vector<Listed>& out) {
  client.list(
      dir,
      [&](const s3::ListedObject& o) {
        const std::string name = o.key.substr(dir.size());
        auto rel = release_key(name, naming);
        if (!rel) return;
        const ArtefactKind k = artefact_kind(name);
        if (root && !in_edition_root(k)) return;
        out.push_back({o.key, name, *rel, o.size, root});
      },
      "/");
}

}  // namespace

VacuumPlan plan_vacuum(s3::Client& client, const VacuumSpec& spec) {
  check_edition(spec.layout.edition);
  const std::string root_dir = spec.prefix + spec.layout.edition_prefix();
  const std::string sys_dir = spec.prefix + spec.layout.sysupdate_prefix();
  std::vector<Listed> objects;
  list_releases(client, root_dir, true, spec.naming, objects);
  list_releases(client, sys_dir, false, spec.naming, objects);
  if (objects.empty())
    throw Error(Errc::not_found, client.endpoint().url(root_dir) + ": no release files of edition " + spec.layout.edition);

  std::vector<std::string> keys;
  for (const auto& o : objects) keys.push_back(o.release);
  VacuumPlan plan;
  plan.releases = plan_retention(keys, spec.config, spec.keep_newest);
  std::map<std::string, std::size_t> rank;  // release -> position in the manifests
  for (std::size_t i = 0; i < plan.releases.keep.size(); ++i) rank[plan.releases.keep[i]] = i;

  std::vector<const Listed*> kept;
  for (const auto& o : objects) {
    if (rank.count(o.release)) {
      if (summed(artefact_kind(o.name))) kept.push_back(&o);
    } else {
      plan.delete_keys.push_back(o.key);
      plan.delete_bytes += o.size;
    }
  }
  std::stable_sort(kept.begin(), kept.end(), [&](const Listed* a, const Listed* b) { return rank[a->release] < rank[b->release]; });
  std::vector<std::string> head_keys;
  for (const auto* o : kept) head_keys.push_back(o->key);
  auto infos = client.head_many(head_keys);
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const std::string url = client.endpoint().url(kept[i]->key);
    if (!infos[i]) throw Error(Errc::not_found, url + ": listed but gone when its metadata was read (another vacuum?)");
    auto it = infos[i]->metadata.find(kShaMetadata);
    if (it == infos[i]->metadata.end() || it->second.empty())
      throw Error(Errc::invalid_input, url + ": no x-amz-meta-" + std::string(kShaMetadata) +
                                           " metadata; cannot list it in SHA256SUMS without re-hashing (nothing deleted)");
    (kept[i]->root ? plan.root_sums : plan.sysupdate_sums).push_back({it->second, kept[i]->name});
  }
  // Validate both manifests now, so a bad stored checksum stops the vacuum before it deletes.
  if (!plan.root_sums.empty()) format_sha256sums(plan.root_sums, client.endpoint().url(root_dir + "SHA256SUMS"));
  format_sha256sums(plan.sysupdate_sums, client.endpoint().url(sys_dir + "SHA256SUMS"));
  return plan;
}

std::vector<std::string> write_vacuum_manifests(const VacuumPlan& plan, const VacuumSpec& spec, const std::string& tree) {
  std::vector<std::string> written;
  for (const auto& [dir, sums] : {std::pair{spec.layout.edition_prefix(), &plan.root_sums},
                                  std::pair{spec.layout.sysupdate_prefix(), &plan.sysupdate_sums}}) {
    if (sums->empty()) continue;
    std::filesystem::create_directories(tree + "/" + dir);
    write_sha256sums(tree + "/" + dir + "SHA256SUMS", *sums);
    written.push_back(dir + "SHA256SUMS");
  }
  return written;
}

void apply_vacuum(s3::Client& client, const VacuumPlan& plan) { client.remove_many(plan.delete_keys); }

}  // namespace chunkbench::publish
