#include "chunkbench/publish/update.hpp"

#include <filesystem>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/publish/gpg.hpp"
#include "chunkbench/publish/sha256sums.hpp"

namespace chunkbench::publish {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kAuxMax = 1 << 20;  // systemd caps auxiliary downloads at 1 MiB

// Version order: longer digit strings are newer, equal lengths compare as strings.
bool newer(const std::string& a, const std::string& b) { return a.size() != b.size() ? a.size() > b.size() : a > b; }

std::vector<std::uint8_t> fetch(BatchFetcher& f, const std::string& url, std::size_t max, bool allow_404) {
  auto resp = f.one(HttpRequest::get(url, max));
  if (resp.status == 404 && allow_404) return {};
  if (resp.status != 200) throw Error(resp.status == 404 ? Errc::not_found : Errc::network,
                                      "GET " + url + ": HTTP status " + std::to_string(resp.status));
  return std::move(resp.body);
}

void write(const std::string& path, const std::vector<std::uint8_t>& bytes) { write_file_atomic(path, bytes); }

// A private work directory removed with the scope.
struct WorkDir {
  std::string path;
  explicit WorkDir(const std::string& parent) {
    path = parent + "/.chunkbench-update-" + random_token();
    fs::create_directories(path);
  }
  ~WorkDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// `pattern` with @v replaced by `version`.
std::string name_for(const std::string& pattern, const std::string& version) {
  const auto at = pattern.find("@v");
  return pattern.substr(0, at) + version + pattern.substr(at + 2);
}

}  // namespace

std::string match_version(const std::string& pattern, const std::string& name) {
  const auto at = pattern.find("@v");
  if (at == std::string::npos) throw Error(Errc::usage, "pattern " + pattern + " has no @v");
  const std::string pre = pattern.substr(0, at), post = pattern.substr(at + 2);
  if (name.size() <= pre.size() + post.size() || name.compare(0, pre.size(), pre) != 0 ||
      name.compare(name.size() - post.size(), post.size(), post) != 0)
    return "";
  std::string v = name.substr(pre.size(), name.size() - pre.size() - post.size());
  return v.find_first_not_of("0123456789") == std::string::npos ? v : "";
}

UpdateResult update(const UpdateSpec& spec) {
  match_version(spec.index_pattern, "");  // a pattern without @v: usage error before any download
  match_version(spec.image_pattern, "");
  std::string base = spec.url;
  if (base.empty() || base.back() != '/') base += '/';
  fs::create_directories(spec.output_dir);
  WorkDir work(spec.output_dir);
  BatchFetcher fetcher(spec.http, nullptr);
  UpdateResult res;

  // The manifest and its signature, verified before anything in it is believed.
  const std::string manifest = work.path + "/SHA256SUMS";
  auto manifest_bytes = fetch(fetcher, base + "SHA256SUMS", kAuxMax, false);
  write(manifest, manifest_bytes);
  std::string sig_url;
  for (const char* name : {"SHA256SUMS.sha256.asc", "SHA256SUMS.sha256.gpg", "SHA256SUMS.gpg", "SHA256SUMS.asc"}) {
    auto sig = fetch(fetcher, base + name, kAuxMax, true);
    if (sig.empty()) continue;
    write(work.path + "/SHA256SUMS.sig", sig);
    sig_url = base + name;
    break;
  }
  if (sig_url.empty()) throw Error(Errc::not_found, base + "SHA256SUMS: no signature found (tried .sha256.asc, .sha256.gpg, .gpg, .asc)");
  try {
    res.signer = verify_detached(manifest, work.path + "/SHA256SUMS.sig", spec.keyring).fingerprint;
  } catch (const Error& e) {
    throw Error(e.code(), base + "SHA256SUMS refused: " + e.what());
  }
  const auto entries = parse_sha256sums(std::string(manifest_bytes.begin(), manifest_bytes.end()), base + "SHA256SUMS");

  // The newest version whose index and image are both listed (sysupdate ignores incomplete ones).
  std::string index_sha, image_sha;
  for (const auto& e : entries) {
    const std::string v = match_version(spec.index_pattern, e.name);
    if (v.empty() || (!res.version.empty() && !newer(v, res.version))) continue;
    const std::string image_name = name_for(spec.image_pattern, v);
    for (const auto& i : entries)
      if (i.name == image_name) {
        res.version = v;
        index_sha = e.sha256;
        image_sha = i.sha256;
      }
  }
  if (res.version.empty()) throw Error(Errc::not_found, base + "SHA256SUMS: no complete version matching " + spec.index_pattern);
  if (!spec.installed.empty()) res.installed_version = match_version(spec.image_pattern, fs::path(spec.installed).filename().string());
  if (!res.installed_version.empty() && !newer(res.version, res.installed_version)) return res;

  // The index, checked against the manifest.
  const std::string idx_name = name_for(spec.index_pattern, res.version);
  const std::string img_name = name_for(spec.image_pattern, res.version);
  auto index_bytes = fetch(fetcher, base + idx_name, 256u << 20, false);
  const std::string index_path = work.path + "/" + idx_name;
  write(index_path, index_bytes);
  if (sha256_file(index_path) != index_sha)
    throw Error(Errc::corrupt, base + idx_name + ": SHA-256 differs from SHA256SUMS");

  ExtractRequest req;
  req.index_path = index_path;
  req.output = work.path + "/" + img_name;
  if (!spec.installed.empty()) req.seeds.push_back(spec.installed);
  req.stores = spec.stores;
  req.http = spec.http;
  req.threads = spec.threads;
  res.report = extract(req);
  if (sha256_file(req.output) != image_sha)
    throw Error(Errc::corrupt, "assembled " + img_name + ": SHA-256 differs from " + base + "SHA256SUMS; not installed");
  res.output = spec.output_dir + "/" + img_name;
  fs::rename(index_path, res.output + ".caibx");  // the next update's seed index
  fs::rename(req.output, res.output);
  res.updated = true;
  return res;
}

}  // namespace chunkbench::publish
