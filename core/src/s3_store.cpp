#include "chunkbench/s3_store.hpp"

#include "chunkbench/error.hpp"

namespace chunkbench {

S3Store::S3Store(std::shared_ptr<s3::Client> client, bool compressed) : client_(std::move(client)) {
  layout_.compressed = compressed;
}

std::string S3Store::key_of(const ChunkId& id) const { return client_->endpoint().prefix + layout_.path(id); }

std::string S3Store::locate(const ChunkId& id) const { return client_->endpoint().url(key_of(id)); }

bool S3Store::has(const ChunkId& id) { return client_->head(key_of(id)).has_value(); }

std::vector<bool> S3Store::has_batch(std::span<const ChunkId> ids) {
  std::vector<std::string> keys;
  keys.reserve(ids.size());
  for (const auto& id : ids) keys.push_back(key_of(id));
  auto infos = client_->head_many(keys);
  std::vector<bool> out(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) out[i] = infos[i].has_value();
  return out;
}

std::optional<ChunkData> S3Store::get(const ChunkId& id) {
  auto body = client_->get(key_of(id));
  if (!body) return std::nullopt;
  return ChunkData{std::move(*body), layout_.compressed};
}

void S3Store::fetch(std::span<const ChunkId> ids, ChunkSink& sink) {
  client_->fetcher().run(
      ids.size(), [&](std::size_t i) { return client_->request("GET", key_of(ids[i])); },
      [&](std::size_t i, const HttpRequest& req, HttpResponse&& r) {
        if (r.status == 404) return sink.missing(i);
        if (r.status != 200) throw Error(Errc::network, "GET " + req.url + ": HTTP status " + std::to_string(r.status));
        sink.chunk(i, ChunkData{std::move(r.body), layout_.compressed}, req.url);
      });
}

void S3Store::put(const ChunkId& id, const ChunkData& data) {
  Item item{&id, &data};
  put_batch(std::span<const Item>(&item, 1));
}

void S3Store::put_batch(std::span<const Item> items) {
  std::vector<s3::PutItem> puts;
  puts.reserve(items.size());
  for (const auto& it : items) {
    if (it.data->compressed != layout_.compressed)
      throw Error(Errc::usage, "store " + name() + ": put of a chunk in the wrong form (" +
                                   (it.data->compressed ? "compressed" : "uncompressed") + ")");
    puts.push_back({key_of(*it.id), it.data->bytes, {}});
  }
  client_->put_many(puts);
}

void S3Store::list(const std::function<void(const StoredChunk&)>& fn) {
  const std::string& prefix = client_->endpoint().prefix;
  client_->list(prefix, [&](const s3::ListedObject& o) {
    std::string_view rel = std::string_view(o.key).substr(prefix.size());
    const auto slash = rel.find('/');
    if (slash == std::string_view::npos) return;
    auto id = layout_.parse(rel.substr(0, slash), rel.substr(slash + 1));
    if (id) fn({*id, o.size, o.last_modified});
  });
}

void S3Store::remove(const ChunkId& id) { client_->remove(key_of(id)); }

}  // namespace chunkbench
