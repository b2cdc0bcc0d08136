#include "chunkbench/publish/upload.hpp"

#include <chrono>
#include <filesystem>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/s3_sign.hpp"

namespace chunkbench::publish {
namespace fs = std::filesystem;
namespace {

// PUTs `keys` (tree-relative) in batches of at most `batch_bytes` of file content.
void put_files(const fs::path& tree, const std::vector<std::string>& keys, s3::Client& client, const std::string& prefix,
               std::size_t batch_bytes, UploadStats& st) {
  for (std::size_t b = 0; b < keys.size();) {
    std::vector<std::vector<std::uint8_t>> bodies;
    std::vector<s3::PutItem> items;
    std::size_t held = 0;
    for (; b < keys.size() && (items.empty() || held < batch_bytes); ++b) {
      bodies.push_back(read_whole_file((tree / keys[b]).string()));
      held += bodies.back().size();
    }
    for (std::size_t k = 0; k < bodies.size(); ++k) {
      const std::string& key = keys[b - bodies.size() + k];
      items.push_back({prefix + key, bodies[k], {{kShaMetadata, s3::sha256_hex(bodies[k])}}});
      st.bytes += bodies[k].size();
    }
    client.put_many(items);
    st.objects += items.size();
  }
}

}  // namespace

UploadStats upload_tree(const std::string& tree_dir, s3::Client& client, const std::string& prefix, const UploadOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path tree(tree_dir);
  if (!fs::is_directory(tree)) throw Error(Errc::not_found, "upload tree " + tree_dir + ": no such directory");
  std::vector<std::string> keys;
  for (const auto& de : fs::recursive_directory_iterator(tree))
    if (de.is_regular_file()) keys.push_back(fs::relative(de.path(), tree).string());
  if (keys.empty()) throw Error(Errc::invalid_input, "upload tree " + tree_dir + " is empty");
  auto stages = order_uploads(std::move(keys));

  UploadStats st;
  // Chunks are content-addressed: one that is there already is the same bytes.
  auto& chunks = stages[0];
  if (!chunks.empty()) {
    std::vector<std::string> full;
    for (const auto& k : chunks) full.push_back(prefix + k);
    auto present = client.head_many(full);
    std::vector<std::string> needed;
    for (std::size_t i = 0; i < chunks.size(); ++i)
      if (!present[i]) needed.push_back(chunks[i]);
    st.chunks_skipped = chunks.size() - needed.size();
    chunks = std::move(needed);
  }
  for (auto stage : kUploadStages) {
    const auto& list = stages[static_cast<std::size_t>(stage)];
    if (o.on_stage) o.on_stage(stage, list.size());
    put_files(tree, list, client, prefix, o.batch_bytes, st);
    st.per_stage[static_cast<std::size_t>(stage)] = list.size();
  }
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

}  // namespace chunkbench::publish
