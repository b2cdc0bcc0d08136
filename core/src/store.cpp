#include "chunkbench/store.hpp"

#include "chunkbench/codec.hpp"
#include "chunkbench/error.hpp"

namespace chunkbench {

void Store::fetch(std::span<const ChunkId> ids, ChunkSink& sink) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto data = get(ids[i]);
    if (data) sink.chunk(i, std::move(*data), locate(ids[i]));
    else sink.missing(i);
  }
}

std::vector<bool> Store::has_batch(std::span<const ChunkId> ids) {
  std::vector<bool> out(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) out[i] = has(ids[i]);
  return out;
}

void WriteStore::put_batch(std::span<const Item> items) {
  for (const auto& it : items) put(*it.id, *it.data);
}

PruneStats PruneStore::prune(const std::unordered_set<ChunkId, ChunkIdHash>& keep, bool dry_run) {
  PruneStats stats;
  std::vector<ChunkId> doomed;
  list([&](const StoredChunk& c) {
    if (keep.count(c.id)) {
      ++stats.kept;
      return;
    }
    ++stats.removed;
    stats.removed_bytes += c.size;
    doomed.push_back(c.id);
  });
  if (!dry_run)
    for (const auto& id : doomed) remove(id);
  return stats;
}

namespace {

// Forwards a sub-batch's results under the caller's request numbers and collects what is missing.
class RemapSink : public ChunkSink {
 public:
  RemapSink(ChunkSink& out, const std::vector<std::size_t>& map) : out_(out), map_(map) {}
  void chunk(std::size_t r, ChunkData data, const std::string& where) override {
    delivered_.push_back(map_[r]);
    out_.chunk(map_[r], std::move(data), where);
  }
  void missing(std::size_t r) override {
    delivered_.push_back(map_[r]);
    missing_.push_back(map_[r]);
  }
  std::vector<std::size_t> missing_, delivered_;

 private:
  ChunkSink& out_;
  const std::vector<std::size_t>& map_;
};

std::vector<std::size_t> iota(std::size_t n) {
  std::vector<std::size_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

std::vector<ChunkId> pick(std::span<const ChunkId> ids, const std::vector<std::size_t>& which) {
  std::vector<ChunkId> out;
  out.reserve(which.size());
  for (std::size_t r : which) out.push_back(ids[r]);
  return out;
}

std::string join_names(const std::vector<std::shared_ptr<Store>>& stores, const char* sep) {
  std::string n;
  for (const auto& s : stores) n += (n.empty() ? "" : sep) + s->name();
  return n;
}

}  // namespace

// --- RouterStore -------------------------------------------------------------------------------

RouterStore::RouterStore(std::vector<std::shared_ptr<Store>> stores) : stores_(std::move(stores)) {
  if (stores_.empty()) throw Error(Errc::usage, "no store given");
}

std::string RouterStore::name() const { return join_names(stores_, ", "); }

bool RouterStore::has(const ChunkId& id) {
  for (auto& s : stores_)
    if (s->has(id)) return true;
  return false;
}

std::vector<bool> RouterStore::has_batch(std::span<const ChunkId> ids) {
  std::vector<bool> out(ids.size(), false);
  std::vector<std::size_t> pending = iota(ids.size());
  for (auto& store : stores_) {
    if (pending.empty()) break;
    std::vector<bool> got = store->has_batch(pick(ids, pending));
    std::vector<std::size_t> next;
    for (std::size_t k = 0; k < pending.size(); ++k) {
      if (got[k]) out[pending[k]] = true;
      else next.push_back(pending[k]);
    }
    pending = std::move(next);
  }
  return out;
}

std::optional<ChunkData> RouterStore::get(const ChunkId& id) {
  for (auto& s : stores_)
    if (auto d = s->get(id)) return d;
  return std::nullopt;
}

std::string RouterStore::locate(const ChunkId& id) const { return stores_.front()->locate(id); }

void RouterStore::fetch(std::span<const ChunkId> ids, ChunkSink& sink) {
  std::vector<std::size_t> map = iota(ids.size());
  for (auto& store : stores_) {
    if (map.empty()) return;
    RemapSink remap(sink, map);
    store->fetch(pick(ids, map), remap);
    map = std::move(remap.missing_);
  }
  for (std::size_t r : map) sink.missing(r);
}

// --- FailoverStore -----------------------------------------------------------------------------

FailoverStore::FailoverStore(std::vector<std::shared_ptr<Store>> mirrors) : mirrors_(std::move(mirrors)) {
  if (mirrors_.empty()) throw Error(Errc::usage, "empty failover group");
}

std::string FailoverStore::name() const { return join_names(mirrors_, "|"); }

std::string FailoverStore::locate(const ChunkId& id) const { return mirrors_[active_]->locate(id); }

template <typename F>
auto FailoverStore::with_failover(F&& f) {
  for (;;) {
    try {
      return f(*mirrors_[active_]);
    } catch (const Error& e) {
      const bool store_failed = e.code() == Errc::network || e.code() == Errc::io;
      if (!store_failed || active_ + 1 >= mirrors_.size()) throw;
      ++active_;
    }
  }
}

bool FailoverStore::has(const ChunkId& id) {
  return with_failover([&](Store& s) { return s.has(id); });
}

std::vector<bool> FailoverStore::has_batch(std::span<const ChunkId> ids) {
  return with_failover([&](Store& s) { return s.has_batch(ids); });
}

std::optional<ChunkData> FailoverStore::get(const ChunkId& id) {
  return with_failover([&](Store& s) { return s.get(id); });
}

void FailoverStore::fetch(std::span<const ChunkId> ids, ChunkSink& sink) {
  // A mirror that fails half-way has delivered some chunks already: the next one fetches the rest.
  std::vector<std::size_t> map = iota(ids.size());
  std::vector<bool> delivered(ids.size(), false);
  with_failover([&](Store& s) {
    std::vector<std::size_t> rest;
    for (std::size_t r : map)
      if (!delivered[r]) rest.push_back(r);
    map = std::move(rest);
    RemapSink remap(sink, map);
    try {
      s.fetch(pick(ids, map), remap);
    } catch (...) {
      for (std::size_t r : remap.delivered_) delivered[r] = true;
      throw;
    }
    for (std::size_t r : remap.missing_) sink.missing(r);
  });
}

// --- CacheStore --------------------------------------------------------------------------------

CacheStore::CacheStore(std::shared_ptr<WriteStore> local, std::shared_ptr<Store> remote, std::optional<DigestKind> digest)
    : local_(std::move(local)), remote_(std::move(remote)), digest_(digest) {
  if (!local_ || !remote_) throw Error(Errc::usage, "a cache store needs a local and a remote store");
}

std::string CacheStore::name() const { return remote_->name() + " (cache " + local_->name() + ")"; }

bool CacheStore::has(const ChunkId& id) { return local_->has(id) || remote_->has(id); }

std::vector<bool> CacheStore::has_batch(std::span<const ChunkId> ids) {
  std::vector<bool> out = local_->has_batch(ids);
  std::vector<std::size_t> rest;
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (!out[i]) rest.push_back(i);
  std::vector<bool> remote = remote_->has_batch(pick(ids, rest));
  for (std::size_t k = 0; k < rest.size(); ++k) out[rest[k]] = remote[k];
  return out;
}

void CacheStore::cache(const ChunkId& id, const ChunkData& data) {
  if (digest_) {
    ChunkCodec codec;
    Hasher hasher(*digest_);
    std::vector<std::uint8_t> raw;
    std::span<const std::uint8_t> plain = data.bytes;
    try {
      if (data.compressed) {
        codec.decompress_any(data.bytes, 128u << 20, raw, remote_->locate(id));
        plain = raw;
      }
      if (hasher.digest(plain) != id) return;  // left for the consumer to detect and fetch again
    } catch (const Error& e) {
      if (e.code() == Errc::corrupt || e.code() == Errc::invalid_input) return;
      throw;
    }
  }
  local_->put(id, data);
  ++cached_;
}

std::optional<ChunkData> CacheStore::get(const ChunkId& id) {
  if (auto d = local_->get(id)) return d;
  auto d = remote_->get(id);
  if (d) cache(id, *d);
  return d;
}

void CacheStore::fetch(std::span<const ChunkId> ids, ChunkSink& sink) {
  std::vector<std::size_t> map = iota(ids.size());
  RemapSink local_hits(sink, map);
  local_->fetch(ids, local_hits);
  std::vector<std::size_t> rest = std::move(local_hits.missing_);
  if (rest.empty()) return;
  class WriteThrough : public ChunkSink {
   public:
    WriteThrough(CacheStore& self, ChunkSink& out, std::span<const ChunkId> ids, const std::vector<std::size_t>& map)
        : self_(self), out_(out), ids_(ids), map_(map) {}
    void chunk(std::size_t r, ChunkData data, const std::string& where) override {
      self_.cache(ids_[map_[r]], data);
      out_.chunk(map_[r], std::move(data), where);
    }
    void missing(std::size_t r) override { out_.missing(map_[r]); }

   private:
    CacheStore& self_;
    ChunkSink& out_;
    std::span<const ChunkId> ids_;
    const std::vector<std::size_t>& map_;
  } through(*this, sink, ids, rest);
  remote_->fetch(pick(ids, rest), through);
}

}  // namespace chunkbench
