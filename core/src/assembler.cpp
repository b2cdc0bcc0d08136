#include "chunkbench/assembler.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "chunkbench/codec.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/work_pool.hpp"

namespace chunkbench {

namespace {

// Removes the temporary output unless the extract committed it.
class TempOutput {
 public:
  explicit TempOutput(std::string path) : path_(std::move(path)) {}
  ~TempOutput() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  void commit_to(const std::string& final_path) {
    if (::rename(path_.c_str(), final_path.c_str()) != 0) throw_errno("rename " + path_ + " to " + final_path);
    path_.clear();
  }

 private:
  std::string path_;
};

struct Worker {
  explicit Worker(DigestKind d) : hasher(d) {}
  Hasher hasher;
  ChunkCodec codec;
  std::vector<std::uint8_t> buf;
};

class Progress {
 public:
  Progress(const ExtractOptions& opt, std::uint64_t bytes, std::uint64_t chunks) : fn_(opt.progress) {
    p_.bytes_total = bytes;
    p_.chunks_total = chunks;
  }
  void add(std::uint64_t bytes, std::uint64_t chunks) {
    bytes_ += bytes;
    chunks_ += chunks;
    if (!fn_) return;
    auto now = std::chrono::steady_clock::now();
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock || now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    report_locked();
  }
  void finish() {
    if (!fn_) return;
    std::lock_guard g(mu_);
    report_locked();
  }

 private:
  void report_locked() {
    p_.bytes_done = bytes_;
    p_.chunks_done = chunks_;
    fn_(p_);
  }
  std::function<void(const ExtractProgress&)> fn_;
  std::mutex mu_;
  ExtractProgress p_;
  std::atomic<std::uint64_t> bytes_{0}, chunks_{0};
  std::chrono::steady_clock::time_point last_{};
};

std::string chunk_desc(const Index& t, std::size_t i) {
  return "chunk " + t.id(i).hex() + " (image offset " + std::to_string(t.start(i)) + ", " +
         std::to_string(t.length(i)) + " bytes)";
}

}  // namespace

ExtractStats extract(const Index& target, const std::string& output, const std::vector<Seed>& seeds, Store* store,
                     const ExtractOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  const std::size_t n = target.size();
  const unsigned threads = opt.threads ? opt.threads : default_threads();
  ExtractStats st;
  st.chunks_total = n;
  st.bytes_total = target.blob_size();
  st.seeds = seeds.size();

  // The output: a temporary file beside the target, or the target itself when resuming.
  std::string write_path =
      opt.in_place ? output : (opt.temp_path.empty() ? temp_name_beside(output, "chunkbench-") : opt.temp_path);
  TempOutput temp(opt.in_place ? "" : write_path);
  Fd out = open_file(write_path, opt.in_place ? (O_RDWR | O_CREAT) : (O_RDWR | O_CREAT | O_EXCL), 0644);
  struct stat ost {};
  if (::fstat(out.get(), &ost) != 0) throw_errno("stat " + write_path);
  const bool block_device = S_ISBLK(ost.st_mode);
  const std::uint64_t existing = opt.in_place && !block_device ? static_cast<std::uint64_t>(ost.st_size) : 0;
  if (!block_device && ::ftruncate(out.get(), static_cast<off_t>(target.blob_size())) != 0)
    throw_errno("resize " + write_path + " to " + std::to_string(target.blob_size()) + " bytes");

  std::vector<Worker> workers;
  workers.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) workers.emplace_back(target.digest());
  Progress progress(opt, target.blob_size(), n);

  // done[i]: chunk i is verified in the output.
  std::vector<std::uint8_t> done(n, 0);
  std::atomic<std::uint64_t> in_place_chunks{0}, in_place_bytes{0};
  if (opt.in_place && (existing > 0 || block_device)) {
    WorkPool pool(threads, threads * 2);
    for (std::size_t i = 0; i < n; ++i) {
      if (!block_device && target.start(i) + target.length(i) > existing) break;
      pool.submit([&, i](unsigned w) {
        Worker& wk = workers[w];
        wk.buf.resize(target.length(i));
        if (pread_full(out.get(), wk.buf, target.start(i), write_path) != wk.buf.size()) return;
        if (wk.hasher.digest(wk.buf) != target.id(i)) return;
        done[i] = 1;
        ++in_place_chunks;
        in_place_bytes += target.length(i);
        progress.add(target.length(i), 1);
      });
    }
    pool.wait();
  }
  st.chunks_in_place = in_place_chunks;
  st.bytes_in_place = in_place_bytes;

  // Fetched chunks waiting for a worker: at least the transfer window, so a burst of completions
  // (h2 streams finish together) never blocks the transfer loop while workers are busy.
  const std::size_t queue = std::max<std::size_t>(threads * 4, opt.queue);
  Plan plan = Plan::build(target, seeds);
  if (opt.plan.remote != PlanOptions::Remote::store && !opt.range)
    throw Error(Errc::usage, std::string("source mode ") + remote_name(opt.plan.remote) + " needs an image URL (--source)");
  PlanOptions popt = opt.plan;
  if (popt.remote == PlanOptions::Remote::automatic && opt.calibrate && plan.chunks_store > 0)
    popt.cost = opt.calibrate(popt.cost, plan);
  plan.choose_remote(target, popt);
  st.remote_mode = remote_name(popt.remote);
  st.gaps = plan.gaps;
  st.gaps_to_store = plan.gaps_to_store;
  st.gaps_to_range = plan.gaps_to_range;
  st.estimated_remote_seconds = plan.estimated_seconds;
  st.cost = popt.cost;

  // Chunks (by position) that must come from the stores: planned so, or a seed chunk that failed.
  std::vector<std::size_t> need;
  // Range spans [first, first + count) of target chunks, one Range request each.
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  std::mutex need_mu;
  std::atomic<std::uint64_t> seed_chunks{0}, seed_bytes{0}, seed_invalid{0};
  {
    std::vector<Fd> seed_fds;
    for (const auto& s : seeds) seed_fds.push_back(open_file(s.blob, O_RDONLY));
    std::vector<std::uint8_t> zeros;
    WorkPool pool(threads, threads * 2);
    for (const auto& step : plan.steps) {
      if (step.source == PlanStep::Source::store) {
        std::lock_guard g(need_mu);
        for (std::size_t i = step.first; i < step.first + step.count; ++i)
          if (!done[i]) need.push_back(i);
        continue;
      }
      if (step.source == PlanStep::Source::range) {
        bool any = false;
        for (std::size_t i = step.first; i < step.first + step.count; ++i) any = any || !done[i];
        if (any) spans.emplace_back(step.first, step.count);
        continue;
      }
      if (step.source == PlanStep::Source::zero) {
        for (std::size_t i = step.first; i < step.first + step.count; ++i) {
          if (done[i]) continue;
          // A fresh (truncated) file already reads as zeros; only a reused target needs writing.
          if (opt.in_place) {
            if (zeros.empty()) zeros.assign(target.sizes.max, 0);
            pwrite_full(out.get(), std::span(zeros).first(target.length(i)), target.start(i), write_path);
          }
          done[i] = 1;
          ++st.chunks_zero;
          st.bytes_zero += target.length(i);
          progress.add(target.length(i), 1);
        }
        continue;
      }
      // Seed runs are split so that several workers share a long run.
      constexpr std::size_t kPiece = 32;
      for (std::size_t first = step.first; first < step.first + step.count; first += kPiece) {
        std::size_t last = std::min(first + kPiece, step.first + step.count);
        std::uint64_t seed_off = step.seed_offset + (target.start(first) - target.start(step.first));
        pool.submit([&, first, last, seed_off, s = step.seed](unsigned w) {
          Worker& wk = workers[w];
          std::uint64_t off = seed_off;
          for (std::size_t i = first; i < last; off += target.length(i), ++i) {
            if (done[i]) continue;
            wk.buf.resize(target.length(i));
            std::size_t got = pread_full(seed_fds[s].get(), wk.buf, off, seeds[s].blob);
            if (got != wk.buf.size() || wk.hasher.digest(wk.buf) != target.id(i)) {
              // The seed changed since it was indexed: fetch this chunk instead of trusting it.
              ++seed_invalid;
              std::lock_guard g(need_mu);
              need.push_back(i);
              continue;
            }
            pwrite_full(out.get(), wk.buf, target.start(i), write_path);
            done[i] = 1;
            ++seed_chunks;
            seed_bytes += wk.buf.size();
            progress.add(wk.buf.size(), 1);
          }
        });
      }
    }
    pool.wait();
  }
  st.chunks_from_seeds = seed_chunks;
  st.bytes_from_seeds = seed_bytes;
  st.seed_chunks_invalid = seed_invalid;

  // Without a store, chunks a seed failed to deliver come from the image too (single-chunk spans).
  if (!store && opt.range && !need.empty()) {
    std::sort(need.begin(), need.end());
    for (std::size_t i : need) spans.emplace_back(i, 1);
    need.clear();
  }

  if (!spans.empty()) {
    std::atomic<std::uint64_t> chunks{0}, bytes{0}, requests{0}, wire{0};
    // One round of Range requests; returns the chunks that failed verification, with the reason.
    auto round = [&](const std::vector<std::pair<std::size_t, std::size_t>>& spans_to_fetch) {
      std::vector<std::pair<std::size_t, std::string>> bad;
      std::mutex bad_mu;
      std::vector<ByteSpan> byte_spans;
      for (auto [first, count] : spans_to_fetch) {
        std::uint64_t b = target.start(first);
        std::uint64_t e = target.start(first + count);
        byte_spans.push_back(ByteSpan{b, e - b});
      }
      // Spans are up to max_span each: a short queue keeps their bodies from piling up.
      WorkPool pool(threads, threads * 2);
      opt.range->fetch(byte_spans, [&](std::size_t r, std::vector<std::uint8_t>&& body, const std::string& where) {
        ++requests;
        wire += body.size();
        pool.submit([&, r, where, body = std::move(body)](unsigned w) {
          Worker& wk = workers[w];
          auto [first, count] = spans_to_fetch[r];
          const std::uint64_t base = target.start(first);
          for (std::size_t i = first; i < first + count; ++i) {
            const std::uint64_t off = target.start(i) - base, len = target.length(i);
            std::string why;
            if (off + len > body.size())
              why = where + ": response ended after " + std::to_string(body.size()) + " bytes";
            else if (wk.hasher.digest(std::span(body).subspan(off, len)) != target.id(i))
              why = where + ": bytes " + std::to_string(target.start(i)) + "-" + std::to_string(target.start(i) + len - 1) +
                    " do not hash to the chunk id";
            if (!why.empty()) {
              std::lock_guard g(bad_mu);
              bad.emplace_back(i, why);
              continue;
            }
            pwrite_full(out.get(), std::span(body).subspan(off, len), target.start(i), write_path);
            done[i] = 1;
            ++chunks;
            bytes += len;
            progress.add(len, 1);
          }
        });
      });
      pool.wait();
      return bad;
    };
    auto bad = round(spans);
    if (!bad.empty()) {
      std::sort(bad.begin(), bad.end());
      std::vector<std::pair<std::size_t, std::size_t>> again;
      for (auto& b : bad) again.emplace_back(b.first, 1);
      st.chunks_refetched += again.size();
      auto still = round(again);
      if (!still.empty())
        throw Error(Errc::corrupt, chunk_desc(target, still.front().first) +
                                       " failed verification twice (fetched again once): " + still.front().second);
    }
    st.chunks_from_range = chunks;
    st.bytes_from_range = bytes;
    st.range_requests = requests;
    st.bytes_range_fetched = wire;
  }

  if (!need.empty()) {
    if (!store) throw Error(Errc::not_found, chunk_desc(target, need.front()) + " is in no seed and no store was given");
    // Each distinct id is fetched once and written to every position that needs it.
    std::vector<ChunkId> ids;
    std::vector<std::vector<std::size_t>> positions;
    std::unordered_map<ChunkId, std::size_t, ChunkIdHash> slot;
    std::sort(need.begin(), need.end());
    for (std::size_t i : need) {
      auto [it, fresh] = slot.try_emplace(target.id(i), ids.size());
      if (fresh) {
        ids.push_back(target.id(i));
        positions.emplace_back();
      }
      positions[it->second].push_back(i);
    }

    std::atomic<std::uint64_t> store_chunks{0}, store_bytes{0}, fetched_bytes{0}, fetched{0};
    class Sink : public ChunkSink {
     public:
      std::function<void(std::size_t, ChunkData, const std::string&)> on_chunk;
      std::function<void(std::size_t)> on_missing;
      void chunk(std::size_t r, ChunkData d, const std::string& where) override { on_chunk(r, std::move(d), where); }
      void missing(std::size_t r) override { on_missing(r); }
    };
    // One fetch round over `req` (indexes into ids); returns the requests whose chunk failed to
    // decode or verify, with the reason (which names the URL).
    auto round = [&](const std::vector<std::size_t>& req) {
      std::vector<std::pair<std::size_t, std::string>> bad;
      std::mutex bad_mu;
      std::vector<ChunkId> round_ids;
      for (std::size_t r : req) round_ids.push_back(ids[r]);
      WorkPool pool(threads, queue);
      Sink sink;
      sink.on_chunk = [&](std::size_t k, ChunkData data, const std::string& where) {
        ++fetched;
        fetched_bytes += data.bytes.size();
        pool.submit([&, r = req[k], where, data = std::move(data)](unsigned w) {
          Worker& wk = workers[w];
          const std::size_t first = positions[r].front();
          std::span<const std::uint8_t> raw = data.bytes;
          try {
            if (data.compressed) {
              wk.codec.decompress(data.bytes, target.length(first), wk.buf, where);
              raw = wk.buf;
            } else if (data.bytes.size() != target.length(first)) {
              throw Error(Errc::corrupt, where + ": " + std::to_string(data.bytes.size()) +
                                             " bytes, the index says " + std::to_string(target.length(first)));
            }
            verify_chunk(wk.hasher, ids[r], raw, where);
          } catch (const Error& e) {
            if (e.code() != Errc::corrupt) throw;
            std::lock_guard g(bad_mu);
            bad.emplace_back(r, e.what());
            return;
          }
          for (std::size_t i : positions[r]) {
            pwrite_full(out.get(), raw, target.start(i), write_path);
            done[i] = 1;
            ++store_chunks;
            store_bytes += raw.size();
            progress.add(raw.size(), 1);
          }
        });
      };
      sink.on_missing = [&](std::size_t k) {
        throw Error(Errc::not_found,
                    chunk_desc(target, positions[req[k]].front()) + " is in none of the stores: " + store->name());
      };
      store->fetch(round_ids, sink);
      pool.wait();
      return bad;
    };
    std::vector<std::size_t> all(ids.size());
    for (std::size_t r = 0; r < all.size(); ++r) all[r] = r;
    auto bad = round(all);
    if (!bad.empty()) {
      std::sort(bad.begin(), bad.end());
      std::vector<std::size_t> again;
      for (auto& b : bad) again.push_back(b.first);
      st.chunks_refetched += again.size();
      auto still = round(again);
      if (!still.empty())
        throw Error(Errc::corrupt, chunk_desc(target, positions[still.front().first].front()) +
                                       " failed verification twice (fetched again once): " + still.front().second);
    }
    st.chunks_from_store = store_chunks;
    st.bytes_from_store = store_bytes;
    st.chunks_fetched = fetched;
    st.bytes_fetched = fetched_bytes;
  }

  for (std::size_t i = 0; i < n; ++i)
    if (!done[i]) throw Error(Errc::io, "internal: " + chunk_desc(target, i) + " was never written");
  progress.finish();
  if (!opt.in_place) temp.commit_to(output);
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

}  // namespace chunkbench
