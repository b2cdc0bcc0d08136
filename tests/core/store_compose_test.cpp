// Composed stores with real parts: local directories and an HTTP store whose server is not there.
#include <gtest/gtest.h>

#include "chunkbench/codec.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/store_factory.hpp"
#include "test_util.hpp"

namespace chunkbench {
namespace {

struct Chunks {
  std::vector<ChunkId> ids;
  std::vector<std::vector<std::uint8_t>> raw;
};

// `n` chunks of random data put into `store` (compressed).
Chunks fill(LocalStore& store, std::size_t n) {
  Chunks c;
  Hasher h(DigestKind::sha512_256);
  ChunkCodec codec;
  for (std::size_t i = 0; i < n; ++i) {
    c.raw.push_back(test::random_data(5000 + i, i + 1));
    c.ids.push_back(h.digest(c.raw.back()));
    ChunkData d;
    codec.compress(c.raw.back(), d.bytes);
    store.put(c.ids.back(), d);
  }
  return c;
}

class Collect : public ChunkSink {
 public:
  void chunk(std::size_t r, ChunkData, const std::string& where) override { got.emplace_back(r, where); }
  void missing(std::size_t r) override { lost.push_back(r); }
  std::vector<std::pair<std::size_t, std::string>> got;
  std::vector<std::size_t> lost;
};

TEST(StoreCompose, FailoverHandsTheRestOfABatchToTheNextMirror) {
  test::TempDir dir;
  LocalStore mirror(dir / "mirror");
  Chunks c = fill(mirror, 12);
  StoreOptions o;
  o.http.retries = 0;
  auto group = open_store("http://127.0.0.1:" + std::to_string(test::free_port()) + "/store|" + dir / "mirror", o);
  Collect sink;
  group->fetch(c.ids, sink);
  EXPECT_EQ(sink.got.size(), c.ids.size());
  EXPECT_TRUE(sink.lost.empty());
  for (const auto& [r, where] : sink.got) EXPECT_EQ(where, mirror.path_of(c.ids[r]));
  // A missing chunk is missing in every mirror: no failover for it, an answer.
  ChunkId absent;
  absent.bytes.fill(1);
  EXPECT_FALSE(group->has(absent));
}

TEST(StoreCompose, CacheWritesThroughOnlyWhatVerifies) {
  test::TempDir dir;
  auto remote = std::make_shared<LocalStore>(dir / "remote");
  auto local = std::make_shared<LocalStore>(dir / "cache");
  Chunks c = fill(*remote, 6);
  // Corrupt one chunk in the "remote" store: a valid frame of other bytes.
  ChunkCodec codec;
  ChunkData bad;
  codec.compress(test::random_data(4000, 99), bad.bytes);
  remote->put(c.ids[2], bad);
  CacheStore cache(local, remote, DigestKind::sha512_256);
  Collect sink;
  cache.fetch(c.ids, sink);
  EXPECT_EQ(sink.got.size(), c.ids.size());  // the consumer gets everything and verifies it itself
  EXPECT_EQ(cache.cached(), c.ids.size() - 1);
  EXPECT_FALSE(local->has(c.ids[2]));
  EXPECT_TRUE(local->has(c.ids[0]));
  std::vector<bool> has = cache.has_batch(c.ids);
  EXPECT_EQ(std::count(has.begin(), has.end(), true), 6);
}

TEST(StoreCompose, ListRemoveAndDefaultPruneOfALocalStore) {
  test::TempDir dir;
  LocalStore store(dir / "s");
  Chunks c = fill(store, 5);
  std::size_t listed = 0;
  store.list([&](const StoredChunk& s) {
    ++listed;
    EXPECT_EQ(s.size, std::filesystem::file_size(store.path_of(s.id)));
  });
  EXPECT_EQ(listed, 5u);
  store.remove(c.ids[0]);
  store.remove(c.ids[0]);  // removing what is gone is not an error
  EXPECT_FALSE(store.has(c.ids[0]));
  // The generic prune (list + remove) of PruneStore, as a store without temp files would run it.
  PruneStats st = store.PruneStore::prune({c.ids[1]}, false);
  EXPECT_EQ(st.kept, 1u);
  EXPECT_EQ(st.removed, 3u);
  std::vector<bool> has = store.has_batch(c.ids);
  EXPECT_EQ(has, (std::vector<bool>{false, true, false, false, false}));
}

}  // namespace
}  // namespace chunkbench
