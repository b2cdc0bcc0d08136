#include "chunkbench/publish/upload_tree.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/index.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/publish/sha256sums.hpp"
#include "chunkbench/publish/torrent.hpp"

namespace chunkbench::publish {
namespace fs = std::filesystem;
namespace {

// Hard link when the tree is on the same file system (release images are gigabytes), else copy.
void place(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  std::error_code ec;
  fs::create_hard_link(from, to, ec);
  if (!ec) return;
  if (!fs::copy_file(from, to, ec) || ec) throw Error(Errc::io, "copy " + from.string() + " to " + to.string() + ": " + ec.message());
}

int kind_rank(ArtefactKind k) {
  switch (k) {
    case ArtefactKind::efi: return 0;
    case ArtefactKind::tar_zst: return 1;
    case ArtefactKind::erofs: return 2;
    case ArtefactKind::caibx: return 3;
    case ArtefactKind::image: return 4;
    case ArtefactKind::torrent: return 5;
    default: return 9;
  }
}

// Removes a half-built tree unless released.
struct TreeGuard {
  fs::path path;
  bool keep = false;
  ~TreeGuard() {
    std::error_code ec;
    if (!keep) fs::remove_all(path, ec);
  }
};

std::pair<std::uint64_t, std::uint64_t> place_chunks(const std::vector<fs::path>& indexes, const std::string& store_dir,
                                                     const fs::path& tree, const EditionLayout& layout) {
  LocalStore store(store_dir);
  std::set<ChunkId> seen;
  std::uint64_t chunks = 0, bytes = 0;
  for (const auto& idx_path : indexes) {
    Index index = Index::read(idx_path.string());
    for (const auto& e : index.entries) {
      if (!seen.insert(e.id).second) continue;
      const fs::path src = store.path_of(e.id);
      std::error_code ec;
      auto size = fs::file_size(src, ec);
      if (ec)
        throw Error(Errc::not_found, "chunk " + e.id.hex() + " of " + idx_path.string() + " is missing from store " +
                                         store_dir + " (" + src.string() + ")");
      place(src, tree / layout.store_dir / fs::relative(src, store_dir));
      ++chunks;
      bytes += size;
    }
  }
  return {chunks, bytes};
}

}  // namespace

void check_edition(const std::string& edition) {
  if (edition.empty() || edition == "." || edition == ".." ||
      edition.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos)
    throw Error(Errc::usage, "edition '" + edition + "' is not a plain directory name (letters, digits, '.', '_', '-')");
}

std::string EditionLayout::key_of(const std::string& basename) const {
  const ArtefactKind k = artefact_kind(basename);
  if (k == ArtefactKind::other) throw Error(Errc::invalid_input, basename + ": not a file the pipeline publishes");
  return (in_edition_root(k) ? edition_prefix() : sysupdate_prefix()) + basename;
}

std::vector<SumEntry> sums_of_directory(const std::string& dir, bool edition_root, const Naming& naming) {
  std::vector<std::pair<int, std::string>> names;
  for (const auto& de : fs::directory_iterator(dir)) {
    if (!de.is_regular_file()) continue;
    const std::string n = de.path().filename().string();
    const ArtefactKind k = artefact_kind(n);
    if (!summed(k) || in_edition_root(k) != edition_root || !release_key(n, naming)) continue;
    names.emplace_back(kind_rank(k), n);
  }
  std::sort(names.begin(), names.end());
  std::vector<SumEntry> out;
  for (const auto& [rank, n] : names) out.push_back({sha256_file(dir + "/" + n), n});
  return out;
}

UploadTreeResult compose_upload_tree(const UploadTreeSpec& spec) {
  check_edition(spec.layout.edition);
  if (spec.artefacts.empty()) throw Error(Errc::usage, "upload-tree: no release files given");
  if (fs::exists(spec.tree)) throw Error(Errc::usage, "upload tree " + spec.tree + " already exists; give a new directory");
  UploadTreeResult result;
  const fs::path final_tree = fs::absolute(spec.tree);
  TreeGuard guard{final_tree.parent_path() / ("." + final_tree.filename().string() + ".partial-" + random_token())};
  const fs::path tree = guard.path;

  std::vector<fs::path> indexes;
  std::string image;
  for (const auto& a : spec.artefacts) {
    const fs::path src(a);
    const std::string name = src.filename().string();
    auto key = release_key(name, spec.naming);
    if (!key) throw Error(Errc::invalid_input, a + ": not a release file (expected " + spec.naming.product + "_<version>...)");
    if (!result.version.empty() && *key != result.version)
      throw Error(Errc::invalid_input, a + ": version " + *key + " differs from " + result.version + " of the other files");
    result.version = *key;
    if (!fs::is_regular_file(src)) throw Error(Errc::not_found, a + ": no such file");
    const fs::path dst = tree / spec.layout.key_of(name);
    place(src, dst);
    const ArtefactKind kind = artefact_kind(name);
    if (kind == ArtefactKind::caibx) {
      indexes.push_back(src);
      if (spec.legacy_erofs_caibx) {
        std::string legacy = name.substr(0, name.size() - 6) + ".erofs.caibx";
        place(src, dst.parent_path() / legacy);
      }
    }
    if (kind == ArtefactKind::image) image = dst.string();
  }
  if (!spec.chunk_store.empty()) std::tie(result.chunks, result.chunk_bytes) = place_chunks(indexes, spec.chunk_store, tree, spec.layout);

  if (!image.empty()) {
    const std::string base = fs::path(image).filename().string();
    TorrentSpec t;
    t.file = image;
    t.output = (tree / spec.layout.edition_prefix() / (spec.naming.product + "_" + result.version + ".torrent")).string();
    for (const auto& s : spec.web_seeds) t.web_seeds.push_back(!s.empty() && s.back() == '/' ? s + base : s);
    t.trackers = spec.trackers;
    t.comment = "KDE Linux " + result.version;
    result.torrent_info_hash = make_torrent(t).info_hash;
  }

  for (const auto& [dir, root] : {std::pair{spec.layout.edition_prefix(), true}, std::pair{spec.layout.sysupdate_prefix(), false}}) {
    if (!fs::is_directory(tree / dir)) continue;
    auto entries = sums_of_directory((tree / dir).string(), root, spec.naming);
    if (entries.empty()) continue;
    const std::string manifest = (tree / dir / "SHA256SUMS").string();
    write_sha256sums(manifest, entries);
    if (spec.sign) sign_detached(manifest, manifest + ".gpg", *spec.sign);
    result.manifests.push_back(dir + "SHA256SUMS");
  }

  for (const auto& de : fs::recursive_directory_iterator(tree))
    if (de.is_regular_file()) result.files.push_back(fs::relative(de.path(), tree).string());
  std::sort(result.files.begin(), result.files.end());
  fs::rename(tree, final_tree);
  guard.keep = true;
  return result;
}

}  // namespace chunkbench::publish
