#include "chunkbench/verify.hpp"

#include <chrono>
#include <filesystem>
#include <mutex>

#include "chunkbench/chunk_pool.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/make.hpp"

namespace chunkbench {

namespace {

constexpr std::size_t kSample = 64;

DigestKind other(DigestKind d) { return d == DigestKind::sha256 ? DigestKind::sha512_256 : DigestKind::sha256; }

enum class Verdict { good, good_other_digest, bad, gone };

// Whether the chunk hashes to its name under the worker's digest, else under the other one;
// `reason` says why when it is bad (undecodable, or neither digest matches).
Verdict judge(Store& store, const StoredChunk& c, ChunkWorker& wk, std::string& reason) {
  const std::string where = store.locate(c.id);
  try {
    auto data = store.get(c.id);
    if (!data) return Verdict::gone;  // removed since it was listed
    std::span<const std::uint8_t> plain = data->bytes;
    if (data->compressed) {
      wk.codec.decompress_any(data->bytes, 128u << 20, wk.buf, where);
      plain = wk.buf;
    }
    if (wk.hasher.digest(plain) == c.id) return Verdict::good;
    if (Hasher(other(wk.hasher.kind())).digest(plain) == c.id) return Verdict::good_other_digest;
    verify_chunk(wk.hasher, c.id, plain, where);  // throws the message naming the mismatch
  } catch (const Error& e) {
    if (e.code() != Errc::corrupt) throw;
    reason = e.what();
  }
  return Verdict::bad;
}

// Why a local directory lists no chunk: the other layout, or a store one level below.
std::string empty_store_hint(ListStore& store) {
  auto* local = dynamic_cast<LocalStore*>(&store);
  if (!local) return "";
  std::uint64_t n = 0;
  LocalStore(local->name(), !local->compressed()).for_each([&](const ChunkId&, const std::string&, std::uint64_t) { ++n; });
  if (n)
    return std::string("; it holds ") + std::to_string(n) + " chunks in the " +
           (local->compressed() ? "uncompressed layout (verify it as uncompressed, -u)" : "compressed .cacnk layout (verify it without -u)");
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(local->name(), ec)) {
    if (!e.is_directory(ec) || ChunkLayout::is_prefix(e.path().filename().string())) continue;
    for (const auto& sub : std::filesystem::directory_iterator(e.path(), ec))
      if (sub.is_directory(ec) && ChunkLayout::is_prefix(sub.path().filename().string()))
        return "; " + e.path().string() + " looks like a chunk store (one level down)";
  }
  return "";
}

}  // namespace

VerifyResult verify_store(ListStore& store, const VerifyOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  auto* removable = dynamic_cast<PruneStore*>(&store);
  if (opt.repair && !removable) throw Error(Errc::usage, "store " + store.name() + " cannot remove chunks, so it cannot be repaired");
  const unsigned threads = opt.threads ? opt.threads : default_threads();
  std::vector<StoredChunk> all;
  store.list([&](const StoredChunk& c) { all.push_back(c); });
  if (all.empty())
    throw Error(Errc::invalid_input, "store " + store.name() + " holds no chunk in its expected layout" + empty_store_hint(store));

  VerifyResult r;
  std::mutex mu;
  const DigestKind guess = opt.digest.value_or(DigestKind::sha512_256);
  // The sample, spread over the listing: how many match each digest, and the first failure.
  std::uint64_t matches[2] = {0, 0}, failed = 0;
  std::string first_reason;
  r.sampled = std::min(all.size(), kSample);
  {
    ChunkPool pool(threads, threads * 4, guess);
    for (std::size_t k = 0; k < r.sampled; ++k)
      pool.submit([&, c = all[k * all.size() / r.sampled]](ChunkWorker& wk) {
        std::string reason;
        const Verdict v = judge(store, c, wk, reason);
        std::lock_guard g(mu);
        if (v == Verdict::good) ++matches[static_cast<int>(guess)];
        else if (v == Verdict::good_other_digest) ++matches[static_cast<int>(other(guess))];
        else if (v == Verdict::bad && !failed++) first_reason = reason;
      });
    pool.wait();
  }
  if (failed * 2 > r.sampled)
    throw Error(Errc::invalid_input, "store " + store.name() + ": " + std::to_string(failed) + " of " + std::to_string(r.sampled) +
                                         " sampled chunks match their name under neither sha512-256 nor sha256 (first: " + first_reason +
                                         "); the store is more likely opened with the wrong layout (compressed or not) or not a "
                                         "chunk store at all, so no chunk was judged or removed");
  if (opt.digest && matches[static_cast<int>(*opt.digest)] == 0)
    throw Error(Errc::usage, "store " + store.name() + ": no sampled chunk is named by its " + digest_name(*opt.digest) + " digest, " +
                                 std::to_string(matches[static_cast<int>(other(*opt.digest))]) + " of " + std::to_string(r.sampled) +
                                 " are by " + digest_name(other(*opt.digest)) + "; verify with that digest (nothing was removed)");
  r.digest = matches[static_cast<int>(other(guess))] > matches[static_cast<int>(guess)] ? other(guess) : guess;

  ChunkPool pool(threads, threads * 4, r.digest);
  for (const auto& c : all)
    pool.submit([&, c](ChunkWorker& wk) {
      std::string reason;
      const Verdict v = judge(store, c, wk, reason);
      if (v == Verdict::gone) return;
      std::lock_guard g(mu);
      ++r.checked;
      r.bytes += c.size;
      if (v != Verdict::bad) {
        r.other_digest += v == Verdict::good_other_digest;
        return;
      }
      r.bad.push_back({store.locate(c.id), reason});
      if (opt.repair) {
        removable->remove(c.id);
        ++r.removed;
      }
    });
  pool.wait();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace chunkbench
