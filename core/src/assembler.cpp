#include "chunkbench/assembler.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "chunkbench/chunk_pool.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/output_target.hpp"

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

// What one fetch round reports: the keys (chunk positions or request numbers) that failed
// verification, with the reason, which names the URL or file.
class BadList {
 public:
  void add(std::size_t key, std::string why) {
    std::lock_guard g(mu_);
    bad_.emplace_back(key, std::move(why));
  }
  std::vector<std::pair<std::size_t, std::string>> take() {
    std::sort(bad_.begin(), bad_.end());
    return std::move(bad_);
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::size_t, std::string>> bad_;
};

// The one retry shape of every remote source: fetch everything, then fetch once more what failed
// verification (a transfer that was corrupted on the way is usually fine the second time), then
// fail naming the first chunk that failed twice.
template <typename Req>
void fetch_with_one_retry(const std::vector<Req>& all,
                          const std::function<std::vector<std::pair<std::size_t, std::string>>(const std::vector<Req>&)>& round,
                          const std::function<Req(std::size_t)>& again_of,
                          const std::function<std::string(std::size_t)>& describe, std::uint64_t& refetched) {
  auto bad = round(all);
  if (bad.empty()) return;
  std::vector<Req> again;
  for (const auto& b : bad) again.push_back(again_of(b.first));
  refetched += again.size();
  auto still = round(again);
  if (!still.empty())
    throw Error(Errc::corrupt, describe(still.front().first) + " failed verification twice (fetched again once): " +
                                   still.front().second);
}

using Span = std::pair<std::size_t, std::size_t>;  // target chunks [first, first + count)

// One extract in progress: the output, which chunks are done, and one method per plan source.
class Assembly {
 public:
  Assembly(const Index& target, const std::string& output, const ExtractOptions& opt)
      : t_(target), opt_(opt), threads_(opt.threads ? opt.threads : default_threads()),
        write_path_(opt.in_place ? output : (opt.temp_path.empty() ? temp_name_beside(output, "chunkbench-") : opt.temp_path)),
        temp_(opt.in_place ? "" : write_path_), done_(target.size(), 0), progress_(opt, target.blob_size(), target.size()) {
    out_ = open_file(write_path_, opt.in_place ? (O_RDWR | O_CREAT) : (O_RDWR | O_CREAT | O_EXCL), 0644);
    struct stat ost {};
    if (::fstat(out_.get(), &ost) != 0) throw_errno("stat " + write_path_);
    block_device_ = S_ISBLK(ost.st_mode);
    existing_ = opt.in_place && !block_device_ ? static_cast<std::uint64_t>(ost.st_size) : 0;
    if (block_device_) {
      const off_t end = ::lseek(out_.get(), 0, SEEK_END);
      if (end < 0) throw_errno("size of block device " + write_path_);
      if (static_cast<std::uint64_t>(end) < target.blob_size())
        throw Error(Errc::usage, "block device " + write_path_ + " holds " + std::to_string(end) + " bytes, the image needs " +
                                     std::to_string(target.blob_size()));
    }
    if (!block_device_ && ::ftruncate(out_.get(), static_cast<off_t>(target.blob_size())) != 0)
      throw_errno("resize " + write_path_ + " to " + std::to_string(target.blob_size()) + " bytes");
  }

  void keep_in_place(ExtractStats& st);
  // Zero runs and seed runs; what must come from elsewhere goes to `need` (store) or `spans`.
  void from_seeds(const Plan& plan, const std::vector<Seed>& seeds, ExtractStats& st, std::vector<std::size_t>& need,
                  std::vector<Span>& spans);
  void from_range(RangeSource& source, const std::vector<Span>& spans, ExtractStats& st);
  void from_store(Store& store, std::vector<std::size_t> need, ExtractStats& st);

  void commit(const std::string& output) {
    for (std::size_t i = 0; i < t_.size(); ++i)
      if (!done_[i]) throw Error(Errc::io, "internal: " + chunk_desc(t_, i) + " was never written");
    progress_.finish();
    if (block_device_) verify_device();
    if (!opt_.in_place) temp_.commit_to(output);
  }
  unsigned threads() const { return threads_; }

 private:
  // Hashes the output's chunks [0, count) on the workers and calls on_checked(i, matches).
  void check_chunks(std::size_t count, const std::function<void(std::size_t, bool)>& on_checked) {
    ChunkPool pool(threads_, threads_ * 2, t_.digest());
    for (std::size_t i = 0; i < count; ++i)
      pool.submit([&, i](ChunkWorker& wk) {
        wk.buf.resize(t_.length(i));
        const bool ok = pread_full(out_.get(), wk.buf, t_.start(i), write_path_) == wk.buf.size() &&
                        wk.hasher.digest(wk.buf) == t_.id(i);
        on_checked(i, ok);
      });
    pool.wait();
  }
  // A device has no rename to make the result atomic, so what it holds is read back from the
  // device itself (its cached pages dropped after the flush) and checked chunk by chunk.
  void verify_device() {
    if (::fsync(out_.get()) != 0) throw_errno("flush block device " + write_path_);
    ::posix_fadvise(out_.get(), 0, static_cast<off_t>(t_.blob_size()), POSIX_FADV_DONTNEED);
    std::atomic<std::size_t> first_bad{t_.size()};
    check_chunks(t_.size(), [&](std::size_t i, bool ok) {
      std::size_t cur = first_bad;
      while (!ok && i < cur && !first_bad.compare_exchange_weak(cur, i)) {
      }
    });
    if (first_bad < t_.size())
      throw Error(Errc::io, "block device " + write_path_ + ": " + chunk_desc(t_, first_bad) +
                                " reads back different bytes after writing");
  }

  void write(std::size_t i, std::span<const std::uint8_t> bytes) {
    pwrite_full(out_.get(), bytes, t_.start(i), write_path_);
    done_[i] = 1;
    progress_.add(bytes.size(), 1);
  }

  const Index& t_;
  const ExtractOptions& opt_;
  const unsigned threads_;
  const std::string write_path_;
  TempOutput temp_;
  Fd out_;
  bool block_device_ = false;
  std::uint64_t existing_ = 0;
  std::vector<std::uint8_t> done_;  // done_[i]: chunk i is verified in the output
  Progress progress_;
};

void Assembly::keep_in_place(ExtractStats& st) {
  if (!opt_.in_place || (existing_ == 0 && !block_device_)) return;
  std::size_t count = t_.size();
  if (!block_device_)
    while (count > 0 && t_.start(count - 1) + t_.length(count - 1) > existing_) --count;
  std::atomic<std::uint64_t> chunks{0}, bytes{0};
  check_chunks(count, [&](std::size_t i, bool ok) {
    if (!ok) return;
    done_[i] = 1;
    ++chunks;
    bytes += t_.length(i);
    progress_.add(t_.length(i), 1);
  });
  st.chunks_in_place = chunks;
  st.bytes_in_place = bytes;
}

void Assembly::from_seeds(const Plan& plan, const std::vector<Seed>& seeds, ExtractStats& st,
                          std::vector<std::size_t>& need, std::vector<Span>& spans) {
  std::mutex need_mu;
  std::atomic<std::uint64_t> chunks{0}, bytes{0}, invalid{0};
  std::vector<Fd> fds;
  for (const auto& s : seeds) fds.push_back(open_file(s.blob, O_RDONLY));
  std::vector<std::uint8_t> zeros;
  ChunkPool pool(threads_, threads_ * 2, t_.digest());
  for (const auto& step : plan.steps) {
    const std::size_t end = step.first + step.count;
    if (step.source == PlanStep::Source::store) {
      std::lock_guard g(need_mu);
      for (std::size_t i = step.first; i < end; ++i)
        if (!done_[i]) need.push_back(i);
    } else if (step.source == PlanStep::Source::range) {
      if (std::any_of(done_.begin() + static_cast<std::ptrdiff_t>(step.first), done_.begin() + static_cast<std::ptrdiff_t>(end),
                      [](std::uint8_t d) { return !d; }))
        spans.emplace_back(step.first, step.count);
    } else if (step.source == PlanStep::Source::zero) {
      for (std::size_t i = step.first; i < end; ++i) {
        if (done_[i]) continue;
        // A fresh (truncated) file already reads as zeros; only a reused target needs writing.
        if (opt_.in_place) {
          if (zeros.empty()) zeros.assign(t_.sizes.max, 0);
          pwrite_full(out_.get(), std::span(zeros).first(t_.length(i)), t_.start(i), write_path_);
        }
        done_[i] = 1;
        ++st.chunks_zero;
        st.bytes_zero += t_.length(i);
        progress_.add(t_.length(i), 1);
      }
    } else {
      // Seed runs are split so that several workers share a long run.
      constexpr std::size_t kPiece = 32;
      for (std::size_t first = step.first; first < end; first += kPiece) {
        const std::size_t last = std::min(first + kPiece, end);
        const std::uint64_t seed_off = step.seed_offset + (t_.start(first) - t_.start(step.first));
        pool.submit([&, first, last, seed_off, s = step.seed](ChunkWorker& wk) {
          std::uint64_t off = seed_off;
          for (std::size_t i = first; i < last; off += t_.length(i), ++i) {
            if (done_[i]) continue;
            wk.buf.resize(t_.length(i));
            const std::size_t got = pread_full(fds[s].get(), wk.buf, off, seeds[s].blob);
            if (got != wk.buf.size() || wk.hasher.digest(wk.buf) != t_.id(i)) {
              // The seed changed since it was indexed: fetch this chunk instead of trusting it.
              ++invalid;
              std::lock_guard g(need_mu);
              need.push_back(i);
              continue;
            }
            write(i, wk.buf);
            ++chunks;
            bytes += wk.buf.size();
          }
        });
      }
    }
  }
  pool.wait();
  st.chunks_from_seeds = chunks;
  st.bytes_from_seeds = bytes;
  st.seed_chunks_invalid = invalid;
}

void Assembly::from_range(RangeSource& source, const std::vector<Span>& all, ExtractStats& st) {
  std::atomic<std::uint64_t> chunks{0}, bytes{0}, requests{0}, wire{0};
  auto round = [&](const std::vector<Span>& spans) {
    BadList bad;
    std::vector<ByteSpan> byte_spans;
    for (auto [first, count] : spans) byte_spans.push_back(ByteSpan{t_.start(first), t_.start(first + count) - t_.start(first)});
    // Spans are up to max_span each: a short queue keeps their bodies from piling up.
    ChunkPool pool(threads_, threads_ * 2, t_.digest());
    source.fetch(byte_spans, [&](std::size_t r, std::vector<std::uint8_t>&& body, const std::string& where) {
      ++requests;
      wire += body.size();
      pool.submit([&, r, where, body = std::move(body)](ChunkWorker& wk) {
        const auto [first, count] = spans[r];
        for (std::size_t i = first; i < first + count; ++i) {
          const std::uint64_t off = t_.start(i) - t_.start(first), len = t_.length(i);
          if (off + len > body.size()) {
            bad.add(i, where + ": response ended after " + std::to_string(body.size()) + " bytes");
          } else if (wk.hasher.digest(std::span(body).subspan(off, len)) != t_.id(i)) {
            bad.add(i, where + ": bytes " + std::to_string(t_.start(i)) + "-" + std::to_string(t_.start(i) + len - 1) +
                           " do not hash to the chunk id");
          } else {
            write(i, std::span(body).subspan(off, len));
            ++chunks;
            bytes += len;
          }
        }
      });
    });
    pool.wait();
    return bad.take();
  };
  fetch_with_one_retry<Span>(
      all, round, [](std::size_t i) { return Span{i, 1}; }, [&](std::size_t i) { return chunk_desc(t_, i); },
      st.chunks_refetched);
  st.chunks_from_range = chunks;
  st.bytes_from_range = bytes;
  st.range_requests = requests;
  st.bytes_range_fetched = wire;
}

void Assembly::from_store(Store& store, std::vector<std::size_t> need, ExtractStats& st) {
  // Each distinct id is fetched once and written to every position that needs it.
  std::vector<ChunkId> ids;
  std::vector<std::vector<std::size_t>> positions;
  std::unordered_map<ChunkId, std::size_t, ChunkIdHash> slot;
  std::sort(need.begin(), need.end());
  for (std::size_t i : need) {
    auto [it, fresh] = slot.try_emplace(t_.id(i), ids.size());
    if (fresh) ids.push_back(t_.id(i)), positions.emplace_back();
    positions[it->second].push_back(i);
  }
  std::atomic<std::uint64_t> chunks{0}, bytes{0}, fetched{0}, fetched_bytes{0};
  // Fetched chunks waiting for a worker: at least the transfer window, so a burst of completions
  // (h2 streams finish together) never blocks the transfer loop while workers are busy.
  const std::size_t queue = std::max<std::size_t>(threads_ * 4, opt_.queue);
  class Sink : public ChunkSink {
   public:
    std::function<void(std::size_t, ChunkData, const std::string&)> on_chunk;
    std::function<void(std::size_t)> on_missing;
    void chunk(std::size_t r, ChunkData d, const std::string& where) override { on_chunk(r, std::move(d), where); }
    void missing(std::size_t r) override { on_missing(r); }
  };
  auto round = [&](const std::vector<std::size_t>& req) {
    BadList bad;
    std::vector<ChunkId> round_ids;
    for (std::size_t r : req) round_ids.push_back(ids[r]);
    ChunkPool pool(threads_, queue, t_.digest());
    Sink sink;
    sink.on_chunk = [&](std::size_t k, ChunkData data, const std::string& where) {
      ++fetched;
      fetched_bytes += data.bytes.size();
      pool.submit([&, r = req[k], where, data = std::move(data)](ChunkWorker& wk) {
        const std::size_t first = positions[r].front();
        std::span<const std::uint8_t> raw = data.bytes;
        try {
          if (data.compressed) {
            wk.codec.decompress(data.bytes, t_.length(first), wk.buf, where);
            raw = wk.buf;
          } else if (data.bytes.size() != t_.length(first)) {
            throw Error(Errc::corrupt, where + ": " + std::to_string(data.bytes.size()) + " bytes, the index says " +
                                           std::to_string(t_.length(first)));
          }
          verify_chunk(wk.hasher, ids[r], raw, where);
        } catch (const Error& e) {
          if (e.code() != Errc::corrupt) throw;
          return bad.add(r, e.what());
        }
        for (std::size_t i : positions[r]) write(i, raw), ++chunks, bytes += raw.size();
      });
    };
    sink.on_missing = [&](std::size_t k) {
      throw Error(Errc::not_found, chunk_desc(t_, positions[req[k]].front()) + " is in none of the stores: " + store.name());
    };
    store.fetch(round_ids, sink);
    pool.wait();
    return bad.take();
  };
  std::vector<std::size_t> all(ids.size());
  for (std::size_t r = 0; r < all.size(); ++r) all[r] = r;
  fetch_with_one_retry<std::size_t>(
      all, round, [](std::size_t r) { return r; }, [&](std::size_t r) { return chunk_desc(t_, positions[r].front()); },
      st.chunks_refetched);
  st.chunks_from_store = chunks;
  st.bytes_from_store = bytes;
  st.chunks_fetched = fetched;
  st.bytes_fetched = fetched_bytes;
}

}  // namespace

ExtractStats extract(const Index& target, const std::string& output, const std::vector<Seed>& seeds, Store* store,
                     const ExtractOptions& opt) {
  auto t0 = std::chrono::steady_clock::now();
  ExtractStats st;
  st.chunks_total = target.size();
  st.bytes_total = target.blob_size();
  st.seeds = seeds.size();
  if (opt.plan.remote != PlanOptions::Remote::store && !opt.range)
    throw Error(Errc::usage, std::string("source mode ") + remote_name(opt.plan.remote) + " needs an image URL to read ranges from");

  // Before anything is opened for writing: the output must be neither an input nor a special
  // file, and a block device is written through in place (renaming over it would replace the node).
  const OutputKind kind = output_kind(output);
  std::vector<NamedInput> inputs;
  for (const auto& s : seeds) inputs.push_back({"seed image", s.blob}), inputs.push_back({"seed index", s.index});
  refuse_output_is_input(output, inputs);
  ExtractOptions eff = opt;
  if (kind == OutputKind::block_device) eff.in_place = true;

  Assembly a(target, output, eff);
  a.keep_in_place(st);

  Plan plan = Plan::build(target, seeds);
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

  std::vector<std::size_t> need;  // chunks for the stores: planned so, or a seed chunk that failed
  std::vector<Span> spans;        // Range requests, one span each
  a.from_seeds(plan, seeds, st, need, spans);
  // Without a store, chunks a seed failed to deliver come from the image too (single-chunk spans).
  if (!store && opt.range && !need.empty()) {
    std::sort(need.begin(), need.end());
    for (std::size_t i : need) spans.emplace_back(i, 1);
    need.clear();
  }
  if (!spans.empty()) a.from_range(*opt.range, spans, st);
  if (!need.empty()) {
    if (!store) throw Error(Errc::not_found, chunk_desc(target, need.front()) + " is in no seed and no store was given");
    a.from_store(*store, std::move(need), st);
  }
  a.commit(output);
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return st;
}

}  // namespace chunkbench
