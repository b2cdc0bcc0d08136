#pragma once
// update: the client side as systemd-sysupdate does it (kde-linux-pipeline.md §9-11): fetch
// SHA256SUMS and its detached signature (looked up in systemd's order), verify it against a
// keyring, pick the newest version whose index matches the pattern, check the index's SHA-256
// against the manifest, extract the image with the installed one as seed, and check the final
// image's SHA-256 before it is renamed into place. Nothing appears under the final name unless it
// verified; every refusal names the URL or file.
#include <string>
#include <vector>

#include "chunkbench/extract.hpp"
#include "chunkbench/fetcher.hpp"

namespace chunkbench::publish {

struct UpdateSpec {
  std::string url;        // the sysupdate directory, e.g. https://storage.kde.org/kde-linux/testing/sysupdate/v2/
  std::string keyring;    // public keyring the manifest's signature must verify against
  std::string index_pattern = "kde-linux_@v_root-x86-64.caibx";  // @v: the version, once
  std::string image_pattern = "kde-linux_@v_root-x86-64.erofs";
  std::vector<std::string> stores;  // chunk store specs (open_store)
  std::string installed;  // the installed image (seed); its version comes from its name ("" : none)
  std::string output_dir; // where the new image goes, under its manifest name, with its index beside
  HttpOptions http;
  unsigned threads = 0;
};

struct UpdateResult {
  std::string installed_version;  // "" when none
  std::string version;            // newest offered
  bool updated = false;           // false: the installed version is the newest
  std::string output;             // the new image
  std::string signer;             // fingerprint that signed the manifest
  ExtractReport report;
};

UpdateResult update(const UpdateSpec& spec);

// The version `name` carries under `pattern` ("kde-linux_@v.efi"), or "" when it does not match.
std::string match_version(const std::string& pattern, const std::string& name);

}  // namespace chunkbench::publish
