#include "chunkbench/publish/version.hpp"

#include <ctime>

#include "chunkbench/error.hpp"

namespace chunkbench::publish {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string make_version(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M", &tm);
  return buf;
}

std::optional<std::string> release_key(std::string_view basename, const Naming& naming) {
  std::vector<std::string> prefixes{naming.product + "_"};
  for (const auto& p : naming.legacy_products) prefixes.push_back(p + "_");
  for (const auto& prefix : prefixes) {
    if (basename.substr(0, prefix.size()) != prefix) continue;
    std::string_view rest = basename.substr(prefix.size());
    rest = rest.substr(0, rest.find('.'));
    rest = rest.substr(0, rest.find('_'));
    if (rest.empty() || rest.size() > 18 || rest.find_first_not_of("0123456789") != std::string_view::npos)
      throw Error(Errc::invalid_input, std::string(basename) + ": release name without a numeric version after '" +
                                           prefix + "'");
    return std::string(rest);
  }
  return std::nullopt;
}

ArtefactKind artefact_kind(std::string_view n) {
  if (ends_with(n, ".erofs.caibx")) return ArtefactKind::erofs_caibx;
  if (ends_with(n, ".caibx")) return ArtefactKind::caibx;
  if (ends_with(n, ".iso") || ends_with(n, ".raw")) return ArtefactKind::image;
  if (ends_with(n, ".torrent")) return ArtefactKind::torrent;
  if (ends_with(n, ".efi")) return ArtefactKind::efi;
  if (ends_with(n, ".tar.zst")) return ArtefactKind::tar_zst;
  if (ends_with(n, ".erofs")) return ArtefactKind::erofs;
  return ArtefactKind::other;
}

const char* artefact_kind_name(ArtefactKind k) noexcept {
  switch (k) {
    case ArtefactKind::image: return "image";
    case ArtefactKind::torrent: return "torrent";
    case ArtefactKind::efi: return "efi";
    case ArtefactKind::tar_zst: return "tar.zst";
    case ArtefactKind::erofs: return "erofs";
    case ArtefactKind::caibx: return "caibx";
    case ArtefactKind::erofs_caibx: return "erofs.caibx";
    case ArtefactKind::other: return "other";
  }
  return "other";
}

bool in_edition_root(ArtefactKind k) { return k == ArtefactKind::image || k == ArtefactKind::torrent; }

bool summed(ArtefactKind k) { return k != ArtefactKind::erofs_caibx && k != ArtefactKind::other; }

ReleaseFiles release_files(const std::string& version, const Naming& naming) {
  const std::string base = naming.product + "_" + version;
  return {base + ".iso", base + ".torrent", base + ".efi", base + "_root-x86-64.erofs", base + "_root-x86-64.caibx",
          base + "_root-x86-64.erofs.caibx", base + "_root-x86-64.tar.zst"};
}

}  // namespace chunkbench::publish
