#include "chunkbench/publish/chop.hpp"

#include <fcntl.h>

#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include "chunkbench/codec.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/s3_store.hpp"
#include "chunkbench/work_pool.hpp"

namespace chunkbench::publish {
namespace {

// The share of the 128-bit id space below `id` (its first 8 bytes are enough).
double id_fraction(const ChunkId& id) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | id.bytes[static_cast<std::size_t>(i)];
  return (static_cast<double>(v) + 1.0) / 18446744073709551616.0;
}

std::vector<std::size_t> missing_by_listing(const Index& index, ListStore& store, const std::vector<std::size_t>& uniq) {
  std::unordered_set<ChunkId, ChunkIdHash> present;
  store.list([&](const StoredChunk& c) { present.insert(c.id); });
  std::vector<std::size_t> out;
  for (auto i : uniq)
    if (!present.count(index.id(i))) out.push_back(i);
  return out;
}

std::vector<std::size_t> missing_by_heads(const Index& index, Store& store, const std::vector<std::size_t>& uniq) {
  std::vector<ChunkId> ids;
  ids.reserve(uniq.size());
  for (auto i : uniq) ids.push_back(index.id(i));
  auto has = store.has_batch(ids);
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < uniq.size(); ++k)
    if (!has[k]) out.push_back(uniq[k]);
  return out;
}

}  // namespace

PresencePlan plan_presence(Store& store, std::uint64_t unique, unsigned window) {
  PresencePlan p;
  p.head_requests = unique;
  const std::uint64_t head_trips = (unique + std::max(window, 1u) - 1) / std::max(window, 1u);
  auto* s3 = dynamic_cast<S3Store*>(&store);
  if (!s3) {
    p.reason = "not a remote listable store: a presence check is a local lookup per chunk";
    return p;
  }
  auto page = s3->client().list_page(s3->client().endpoint().prefix, "", 1000);
  if (!page.truncated) {
    p.estimated_objects = page.objects.size();
    p.listing_requests = 1;
  } else {
    // Keys are <prefix><4 hex>/<id>.cacnk in id order; the last key's id bounds the share covered.
    const std::string& last = page.objects.back().key;
    const auto slash = last.rfind('/');
    const auto dot = last.find('.', slash);
    double f = 1.0;
    try {
      f = id_fraction(ChunkId::from_hex(last.substr(slash + 1, std::min<std::size_t>(64, dot - slash - 1)), last));
    } catch (const Error&) {  // a foreign key: no estimate, assume a huge store
      f = 1e-9;
    }
    p.estimated_objects = static_cast<std::uint64_t>(static_cast<double>(page.objects.size()) / f);
    p.listing_requests = (p.estimated_objects + 999) / 1000;
  }
  p.use_listing = p.listing_requests < head_trips || (p.listing_requests == head_trips && p.listing_requests < unique);
  p.reason = "listing: ~" + std::to_string(p.listing_requests) + " sequential page(s) for ~" +
             std::to_string(p.estimated_objects) + " objects; HEADs: " + std::to_string(unique) + " requests in ~" +
             std::to_string(head_trips) + " round trip(s) of " + std::to_string(window);
  return p;
}

ChopStats chop(const Index& index, const std::string& image, WriteStore& store, const ChopOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  ChopStats st;
  st.chunks = index.size();
  std::unordered_set<ChunkId, ChunkIdHash> seen;
  std::vector<std::size_t> uniq;
  for (std::size_t i = 0; i < index.size(); ++i)
    if (seen.insert(index.id(i)).second) uniq.push_back(i);
  st.unique = uniq.size();

  st.presence = plan_presence(store, st.unique, o.window);
  auto* lister = dynamic_cast<ListStore*>(&store);
  std::vector<std::size_t> missing = st.presence.use_listing && lister ? missing_by_listing(index, *lister, uniq)
                                                                      : missing_by_heads(index, store, uniq);
  for (auto i : uniq) st.reused_bytes += index.length(i);
  st.reused = st.unique - missing.size();

  Fd fd = open_file(image, O_RDONLY | O_CLOEXEC);
  const unsigned threads = o.threads ? o.threads : default_threads();
  std::vector<ChunkCodec> codecs;
  std::vector<Hasher> hashers;
  for (unsigned t = 0; t < threads; ++t) {
    codecs.emplace_back(o.zstd_level);
    hashers.emplace_back(index.digest());
  }
  std::uint64_t total = 0;
  for (auto i : missing) total += index.length(i);
  for (std::size_t b = 0; b < missing.size();) {
    std::size_t e = b;
    std::uint64_t bytes = 0;
    while (e < missing.size() && (e == b || bytes + index.length(missing[e]) <= o.batch_bytes)) bytes += index.length(missing[e++]);
    std::vector<ChunkData> data(e - b);
    {
      WorkPool pool(threads, threads * 2);
      for (std::size_t k = b; k < e; ++k)
        pool.submit([&, k](unsigned w) {
          const std::size_t i = missing[k];
          std::vector<std::uint8_t> raw(index.length(i));
          if (pread_full(fd.get(), raw, index.start(i), image) != raw.size())
            throw Error(Errc::invalid_input, image + ": ends before offset " + std::to_string(index.start(i) + raw.size()) +
                                                 " that its index describes");
          verify_chunk(hashers[w], index.id(i), raw, image + " at offset " + std::to_string(index.start(i)));
          if (store.wants_compressed()) {
            codecs[w].compress(raw, data[k - b].bytes);
            data[k - b].compressed = true;
          } else {
            data[k - b] = ChunkData{std::move(raw), false};
          }
        });
      pool.wait();
    }
    std::vector<WriteStore::Item> items;
    for (std::size_t k = b; k < e; ++k) {
      items.push_back({&index.id(missing[k]), &data[k - b]});
      st.uploaded_stored_bytes += data[k - b].bytes.size();
    }
    store.put_batch(items);
    st.uploaded += e - b;
    st.uploaded_bytes += bytes;
    if (o.progress) o.progress(st.uploaded_bytes, total);
    b = e;
  }
  st.reused_bytes -= st.uploaded_bytes;
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

}  // namespace chunkbench::publish
