#include "chunkbench/bench/store_cache.hpp"

#include <fcntl.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "chunkbench/chunker.hpp"
#include "chunkbench/digest.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/imagegen.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/make.hpp"

namespace chunkbench::bench {
namespace {

namespace fs = std::filesystem;

std::string image_key(const ImageSpec& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s-%llu-c%g-s%llu", s.kind.c_str(), static_cast<unsigned long long>(s.size), s.change,
                static_cast<unsigned long long>(s.seed));
  return buf;
}

// Builds `final_dir` by calling `build(tmp)` on a fresh temporary sibling and renaming it; a
// leftover temporary of a killed build is removed first.
void build_dir(const fs::path& final_dir, const std::function<void(const fs::path&)>& build) {
  fs::create_directories(final_dir.parent_path());
  const fs::path tmp = final_dir.parent_path() / ("." + final_dir.filename().string() + ".building");
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  build(tmp);
  fs::rename(tmp, final_dir);
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw Error(Errc::not_found, p.string() + ": cannot open");
  return nlohmann::json::parse(in);
}

void write_json(const fs::path& p, const nlohmann::json& j) {
  const std::string s = j.dump(2) + "\n";
  write_file_atomic(p.string(), {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

}  // namespace

std::string sha256_file(const std::string& path) {
  Fd fd = open_file(path, O_RDONLY);
  const std::uint64_t size = file_size(fd.get(), path);
  Hasher h(DigestKind::sha256);
  h.begin();
  std::vector<std::uint8_t> buf(1 << 20);
  for (std::uint64_t off = 0; off < size;) {
    const std::size_t n = pread_full(fd.get(), buf, off, path);
    if (n == 0) break;
    h.update({buf.data(), n});
    off += n;
  }
  return h.finish().hex();
}

StoreCache::StoreCache(std::string root, std::function<void(const std::string&)> log) : root_(std::move(root)), log_(std::move(log)) {
  fs::create_directories(root_);
}

ImagePair StoreCache::images(const ImageSpec& spec) {
  const fs::path dir = fs::path(root_) / "images" / image_key(spec);
  if (!fs::exists(dir / "pair.json")) {
    if (log_) log_("generating the " + spec.kind + " image pair " + image_key(spec) + " in " + dir.string());
    build_dir(dir, [&](const fs::path& tmp) {
      const std::string v1 = (tmp / "v1.img").string(), v2 = (tmp / "v2.img").string();
      if (spec.kind == "synthetic") {
        imagegen::SyntheticOptions o;
        o.bytes = spec.size;
        o.seed = spec.seed;
        imagegen::make_synthetic(o, v1);
        imagegen::mutate_synthetic(v1, v2, spec.change, spec.seed + 1);
      } else {
        imagegen::TreeOptions t;
        t.bytes = spec.size;
        t.seed = spec.seed;
        imagegen::Mutation m;
        m.changed = spec.change;
        m.seed = spec.seed + 1;
        imagegen::make_tree_images(t, m, spec.kind == "erofs" ? imagegen::Format::erofs : imagegen::Format::tar, v1, v2,
                                   (tmp / "work").string());
      }
      write_json(tmp / "pair.json", {{"kind", spec.kind}, {"size", spec.size}, {"change", spec.change}, {"seed", spec.seed},
                                     {"v1_sha256", sha256_file(v1)}, {"v2_sha256", sha256_file(v2)},
                                     {"v1_size", fs::file_size(v1)}, {"v2_size", fs::file_size(v2)}});
    });
  }
  const auto j = read_json(dir / "pair.json");
  ImagePair p;
  p.dir = dir.string();
  p.v1 = (dir / "v1.img").string();
  p.v2 = (dir / "v2.img").string();
  p.v1_sha256 = j.at("v1_sha256");
  p.v2_sha256 = j.at("v2_sha256");
  p.v1_size = j.at("v1_size");
  p.v2_size = j.at("v2_size");
  return p;
}

StoreEntry StoreCache::store(const ImagePair& pair, const std::string& chunk) {
  const ChunkSizes sizes = parse_chunk_sizes(chunk);
  const std::string key = pair.v1_sha256.substr(0, 12) + "-" + pair.v2_sha256.substr(0, 12) + "-" + std::to_string(sizes.min) + "-" +
                          std::to_string(sizes.avg) + "-" + std::to_string(sizes.max);
  const fs::path dir = fs::path(root_) / "stores" / key;
  if (!fs::exists(dir / "v2.caibx")) {
    if (log_) log_("building the " + chunk + " KiB store " + dir.string());
    build_dir(dir, [&](const fs::path& tmp) {
      LocalStore store((tmp / "store").string());
      MakeOptions o;
      o.sizes = sizes;
      make_index(pair.v1, &store, o).write((tmp / "v1.caibx").string());
      make_index(pair.v2, &store, o).write((tmp / "v2.caibx").string());
      std::error_code ec;
      fs::create_hard_link(pair.v2, tmp / "v2.img", ec);
      if (ec) fs::copy_file(pair.v2, tmp / "v2.img");
    });
  }
  StoreEntry e;
  e.root = dir.string();
  e.store = (dir / "store").string();
  e.v1_index = (dir / "v1.caibx").string();
  e.v2_index = (dir / "v2.caibx").string();
  e.v2_image = (dir / "v2.img").string();
  e.chunk = chunk;
  return e;
}

}  // namespace chunkbench::bench
