#pragma once
// upload-tree/: a local directory whose relative paths are the object keys of the bucket
// (kde-linux-pipeline.md §3): `<edition>/` holds the image, its torrent and SHA256SUMS[.gpg];
// `<edition>/sysupdate/v2/` the sysupdate artefacts and their SHA256SUMS[.gpg]; `sysupdate/store/`
// the chunk store all editions share. Composing one is local work only; `upload` sends it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chunkbench/publish/gpg.hpp"
#include "chunkbench/publish/sha256sums.hpp"
#include "chunkbench/publish/version.hpp"

namespace chunkbench::publish {

struct EditionLayout {
  std::string edition;                         // "testing": letters, digits, '.', '_', '-'
  std::string sysupdate_dir = "sysupdate/v2";  // below the edition
  std::string store_dir = "sysupdate/store";   // below the bucket prefix, shared by every edition

  std::string edition_prefix() const { return edition + "/"; }
  std::string sysupdate_prefix() const { return edition + "/" + sysupdate_dir + "/"; }
  std::string store_prefix() const { return store_dir + "/"; }
  // The key of a release file by its kind (image and torrent in the edition root, the rest in the
  // sysupdate dir); Errc::invalid_input for a file the pipeline does not publish.
  std::string key_of(const std::string& basename) const;
};

// Throws Errc::usage unless `edition` is a plain directory name.
void check_edition(const std::string& edition);

struct UploadTreeSpec {
  std::string tree;                    // created; must not exist yet (built beside it, renamed when complete)
  EditionLayout layout;
  std::vector<std::string> artefacts;  // the files of one release (iso/raw, efi, erofs, caibx, tar.zst)
  std::string chunk_store;             // a local store holding every chunk of the release's .caibx (optional)
  bool legacy_erofs_caibx = true;      // also publish X_root-x86-64.caibx as X_root-x86-64.erofs.caibx
  std::vector<std::string> web_seeds;  // for the torrent: base URLs ending in '/' get the image name appended
  std::vector<std::string> trackers;
  std::optional<SignKey> sign;         // no key: manifests unsigned
  Naming naming;
};

struct UploadTreeResult {
  std::string version;
  std::vector<std::string> files;      // keys (relative paths) of everything in the tree, sorted
  std::vector<std::string> manifests;  // keys of the SHA256SUMS files written
  std::uint64_t chunks = 0, chunk_bytes = 0;
  std::string torrent_info_hash;       // empty when no image was given
};

UploadTreeResult compose_upload_tree(const UploadTreeSpec& spec);

// The SHA256SUMS entries of the release files in `dir` (non-recursive) of the given placement:
// edition root (images, torrents) or sysupdate dir (efi, tar.zst, erofs, caibx in that order, the
// order KDE's sha256sum globs give); *.erofs.caibx never. Hashes the files.
std::vector<SumEntry> sums_of_directory(const std::string& dir, bool edition_root, const Naming& naming = {});

}  // namespace chunkbench::publish
