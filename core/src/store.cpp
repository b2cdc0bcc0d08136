#include "chunkbench/store.hpp"

#include "chunkbench/error.hpp"

namespace chunkbench {

void Store::fetch(std::span<const ChunkId> ids, ChunkSink& sink) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto data = get(ids[i]);
    if (data) sink.chunk(i, std::move(*data), locate(ids[i]));
    else sink.missing(i);
  }
}

RouterStore::RouterStore(std::vector<std::shared_ptr<Store>> stores) : stores_(std::move(stores)) {
  if (stores_.empty()) throw Error(Errc::usage, "no store given (use -s)");
}

std::string RouterStore::name() const {
  std::string n;
  for (const auto& s : stores_) n += (n.empty() ? "" : ", ") + s->name();
  return n;
}

bool RouterStore::has(const ChunkId& id) {
  for (auto& s : stores_)
    if (s->has(id)) return true;
  return false;
}

std::optional<ChunkData> RouterStore::get(const ChunkId& id) {
  for (auto& s : stores_)
    if (auto d = s->get(id)) return d;
  return std::nullopt;
}

std::string RouterStore::locate(const ChunkId& id) const { return stores_.front()->locate(id); }

namespace {

// Collects what one store lacks, forwarding hits with the caller's request numbers.
class RemapSink : public ChunkSink {
 public:
  RemapSink(ChunkSink& out, const std::vector<std::size_t>& map) : out_(out), map_(map) {}
  void chunk(std::size_t r, ChunkData data, const std::string& where) override {
    out_.chunk(map_[r], std::move(data), where);
  }
  void missing(std::size_t r) override { missing_.push_back(map_[r]); }
  std::vector<std::size_t> missing_;

 private:
  ChunkSink& out_;
  const std::vector<std::size_t>& map_;
};

}  // namespace

void RouterStore::fetch(std::span<const ChunkId> ids, ChunkSink& sink) {
  std::vector<std::size_t> map(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) map[i] = i;
  std::vector<ChunkId> pending(ids.begin(), ids.end());
  for (auto& store : stores_) {
    if (pending.empty()) return;
    RemapSink remap(sink, map);
    store->fetch(pending, remap);
    std::vector<ChunkId> next;
    for (std::size_t r : remap.missing_) next.push_back(ids[r]);
    map = std::move(remap.missing_);
    pending = std::move(next);
  }
  for (std::size_t r : map) sink.missing(r);
}

}  // namespace chunkbench
