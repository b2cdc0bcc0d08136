#include "chunkbench/verify.hpp"

#include <unistd.h>

#include <chrono>
#include <mutex>

#include "chunkbench/codec.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/work_pool.hpp"

namespace chunkbench {

VerifyResult verify_store(LocalStore& store, DigestKind digest, unsigned threads, bool repair) {
  auto t0 = std::chrono::steady_clock::now();
  if (!threads) threads = default_threads();
  struct Worker {
    explicit Worker(DigestKind d) : hasher(d) {}
    Hasher hasher;
    ChunkCodec codec;
    std::vector<std::uint8_t> buf;
  };
  std::vector<Worker> workers;
  for (unsigned i = 0; i < threads; ++i) workers.emplace_back(digest);
  VerifyResult r;
  std::mutex mu;
  {
    WorkPool pool(threads, threads * 4);
    store.for_each([&](const ChunkId& id, const std::string& path, std::uint64_t size) {
      pool.submit([&, id, path, size](unsigned w) {
        Worker& wk = workers[w];
        std::string reason;
        try {
          std::vector<std::uint8_t> raw = read_whole_file(path);
          std::span<const std::uint8_t> data = raw;
          if (store.compressed()) {
            wk.codec.decompress_any(raw, 128u << 20, wk.buf, path);
            data = wk.buf;
          }
          verify_chunk(wk.hasher, id, data, path);
        } catch (const Error& e) {
          if (e.code() != Errc::corrupt) throw;
          reason = e.what();
        }
        std::lock_guard g(mu);
        ++r.checked;
        r.bytes += size;
        if (reason.empty()) return;
        r.bad.push_back({path, reason});
        if (repair) {
          if (::unlink(path.c_str()) != 0) throw_errno("remove " + path);
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
