#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "chunkbench/error.hpp"
#include "chunkbench/publish/upload_tree.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

int run_upload_tree(int argc, char** argv) {
  Args args("upload-tree", "--edition E --out DIR [-s STORE] [--gnupghome DIR | --secret-key FILE] [--key ID] FILE...",
            "Composes DIR mirroring the bucket layout for one release of one edition: E/ (image,\n"
            "torrent, SHA256SUMS), E/sysupdate/v2/ (efi, tar.zst, erofs, caibx, SHA256SUMS) and, with -s,\n"
            "the shared sysupdate/store/ holding every chunk of the release's .caibx. SHA256SUMS is in\n"
            "GNU sha256sum form as systemd-sysupdate reads it (no *.erofs.caibx); with a key each one is\n"
            "signed (SHA256SUMS.gpg, binary detached). The image gets a .torrent with web seeds.\n"
            "DIR must not exist; it is built beside and renamed when complete.");
  args.option("edition", 0, "E", "edition directory, e.g. testing");
  args.option("out", 'o', "DIR", "the upload tree to create");
  args.option("store", 's', "STORE", "local chunk store with the chunks of the release's .caibx");
  args.option("gnupghome", 0, "DIR", "GNUPGHOME holding the signing key");
  args.option("secret-key", 0, "FILE", "exported secret key to sign with (imported into a temporary GNUPGHOME)");
  args.option("key", 0, "ID", "signing key (fingerprint, key id or user id; default: gpg's default key)");
  args.option("web-seed", 0, "URL", "torrent web seed (BEP 19); a URL ending in '/' gets the image name", true);
  args.option("tracker", 0, "URL", "torrent tracker, each its own tier", true);
  args.option("sysupdate-dir", 0, "PATH", "sysupdate directory below the edition (default sysupdate/v2)");
  args.flag("no-legacy-caibx", 0, "do not add the X_root-x86-64.erofs.caibx copy for old clients");
  args.flag("json", 0, "print JSON on stdout");
  if (!args.parse(argc, argv)) return 0;
  if (!args.has("edition") || !args.has("out")) throw Error(Errc::usage, "give --edition and --out");
  if (args.positionals().empty()) throw Error(Errc::usage, "give the release files");

  publish::UploadTreeSpec spec;
  spec.tree = args.get("out");
  spec.layout.edition = args.get("edition");
  spec.layout.sysupdate_dir = args.get("sysupdate-dir", spec.layout.sysupdate_dir);
  spec.artefacts = args.positionals();
  spec.chunk_store = args.get("store");
  spec.legacy_erofs_caibx = !args.has("no-legacy-caibx");
  spec.web_seeds = args.all("web-seed");
  spec.trackers = args.all("tracker");
  if (args.has("gnupghome") || args.has("secret-key") || args.has("key"))
    spec.sign = publish::SignKey{args.get("gnupghome", std::getenv("GNUPGHOME") ? std::getenv("GNUPGHOME") : ""),
                                 args.get("secret-key"), args.get("key")};
  const auto r = publish::compose_upload_tree(spec);

  if (args.has("json")) {
    nlohmann::json j = {{"schema", "chunkbench.upload-tree/1"}, {"tree", spec.tree},         {"edition", spec.layout.edition},
                        {"version", r.version},                   {"files", r.files},          {"manifests", r.manifests},
                        {"signed", spec.sign.has_value()},        {"chunks", r.chunks},        {"chunk_bytes", r.chunk_bytes},
                        {"torrent_info_hash", r.torrent_info_hash}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("upload tree %s: edition %s, version %s, %zu files (%llu chunks, %s)\n", spec.tree.c_str(),
                spec.layout.edition.c_str(), r.version.c_str(), r.files.size(), (unsigned long long)r.chunks,
                human_bytes(r.chunk_bytes).c_str());
    for (const auto& m : r.manifests) std::printf("  %s%s\n", m.c_str(), spec.sign ? " (+ .gpg)" : " (unsigned)");
    if (!r.torrent_info_hash.empty()) std::printf("  torrent info hash %s\n", r.torrent_info_hash.c_str());
  }
  return 0;
}

}  // namespace chunkbench::cli
