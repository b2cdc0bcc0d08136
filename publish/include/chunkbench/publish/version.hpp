#pragma once
// Release names as KDE Linux publishes them (kde-linux-pipeline.md §1): every artefact of one build
// is `<product>_<VERSION>[_<suffix>].<ext>` with VERSION = UTC YYYYMMDDHHMM. The release key of a
// file is what both vacuums group by: drop the product prefix, cut at the first '.', then at the
// first '_'; the rest must be a decimal integer. Keys have a fixed width, so string order is
// release order.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chunkbench::publish {

struct Naming {
  std::string product = "kde-linux";
  std::vector<std::string> legacy_products = {"kdeos"};  // still recognised, never produced
};

// "202603240254" for the given UTC time.
std::string make_version(std::chrono::system_clock::time_point t);
// The release key of `basename`, or nullopt when it does not start with a known product prefix.
// A known prefix followed by something that is not an integer is an error naming `basename`.
std::optional<std::string> release_key(std::string_view basename, const Naming& naming = {});

// What a file of a release is, by its name; decides its directory and its manifest.
enum class ArtefactKind {
  image,        // .iso (or the older .raw): edition root, root SHA256SUMS, torrent source
  torrent,      // .torrent: edition root, root SHA256SUMS
  efi,          // .efi (UKI and *.addon.efi): sysupdate dir
  tar_zst,      // .tar.zst: sysupdate dir
  erofs,        // .erofs: sysupdate dir
  caibx,        // _root-x86-64.caibx: sysupdate dir
  erofs_caibx,  // .erofs.caibx: the copy for old clients; published, never in SHA256SUMS (§9)
  other,        // anything else: not published by the pipeline
};
ArtefactKind artefact_kind(std::string_view basename);
const char* artefact_kind_name(ArtefactKind k) noexcept;
// True for the kinds that live in the edition root (image, torrent).
bool in_edition_root(ArtefactKind k);
// True for kinds listed in a SHA256SUMS.
bool summed(ArtefactKind k);

// The file names one build produces for `version` (the image as .iso), in manifest order.
struct ReleaseFiles {
  std::string image, torrent, efi, erofs, caibx, erofs_caibx, tar_zst;
};
ReleaseFiles release_files(const std::string& version, const Naming& naming = {});

}  // namespace chunkbench::publish
