#include "chunkbench/verify.hpp"

#include <chrono>
#include <mutex>

#include "chunkbench/chunk_pool.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/make.hpp"

namespace chunkbench {

VerifyResult verify_store(ListStore& store, DigestKind digest, unsigned threads, bool repair) {
  auto t0 = std::chrono::steady_clock::now();
  auto* removable = dynamic_cast<PruneStore*>(&store);
  if (repair && !removable) throw Error(Errc::usage, "store " + store.name() + " cannot remove chunks, so it cannot be repaired");
  if (!threads) threads = default_threads();
  VerifyResult r;
  std::mutex mu;
  {
    ChunkPool pool(threads, threads * 4, digest);
    store.list([&](const StoredChunk& c) {
      pool.submit([&, c](ChunkWorker& wk) {
        const std::string where = store.locate(c.id);
        std::string reason;
        try {
          auto data = store.get(c.id);
          if (!data) return;  // removed since it was listed
          std::span<const std::uint8_t> plain = data->bytes;
          if (data->compressed) {
            wk.codec.decompress_any(data->bytes, 128u << 20, wk.buf, where);
            plain = wk.buf;
          }
          verify_chunk(wk.hasher, c.id, plain, where);
        } catch (const Error& e) {
          if (e.code() != Errc::corrupt) throw;
          reason = e.what();
        }
        std::lock_guard g(mu);
        ++r.checked;
        r.bytes += c.size;
        if (reason.empty()) return;
        r.bad.push_back({where, reason});
        if (repair) {
          removable->remove(c.id);
          ++r.removed;
        }
      });
    });
    pool.wait();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace chunkbench
