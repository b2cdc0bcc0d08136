// Microbenchmarks of the per-byte hot paths; compare against each other in one run (shared host).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <vector>

#include "chunkbench/chunker.hpp"
#include "chunkbench/codec.hpp"
#include "chunkbench/digest.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/imagegen.hpp"
#include "chunkbench/index.hpp"

#include <unistd.h>

using namespace chunkbench;

namespace {

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 r(seed);
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; i += 8) {
    std::uint64_t x = r();
    for (std::size_t k = 0; k < 8 && i + k < n; ++k) v[i + k] = static_cast<std::uint8_t>(x >> (8 * k));
  }
  return v;
}

// The synthetic test image's mix (text, binary records, incompressible and zero regions), so zstd
// sees what it sees in `make`, not a best or worst case.
std::vector<std::uint8_t> mixed_bytes(std::size_t n) {
  char tmpl[] = "/tmp/chunkbench-bench-XXXXXX";
  int fd = ::mkstemp(tmpl);
  if (fd < 0) std::abort();
  ::close(fd);
  imagegen::SyntheticOptions o;
  o.bytes = 16ull << 20;
  o.seed = 7;
  imagegen::make_synthetic(o, tmpl);
  auto all = read_whole_file(tmpl);
  ::unlink(tmpl);
  // Average over many regions: concatenate slices from across the image.
  std::vector<std::uint8_t> v;
  for (std::size_t off = 0; v.size() < n; off = (off + 1000003) % (all.size() - 4096))
    v.insert(v.end(), all.begin() + static_cast<long>(off), all.begin() + static_cast<long>(off + 4096));
  v.resize(n);
  return v;
}

void BM_Chunker(benchmark::State& st) {
  ChunkSizes s{static_cast<std::uint64_t>(st.range(0)) / 4, static_cast<std::uint64_t>(st.range(0)),
               static_cast<std::uint64_t>(st.range(0)) * 4};
  auto data = random_bytes(64u << 20, 1);
  for (auto _ : st) benchmark::DoNotOptimize(chunk_boundaries(data, s));
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * data.size()));
}
BENCHMARK(BM_Chunker)->Arg(64 << 10)->Arg(2 << 20)->Unit(benchmark::kMillisecond);

void BM_Digest(benchmark::State& st) {
  Hasher h(st.range(0) ? DigestKind::sha256 : DigestKind::sha512_256);
  auto data = random_bytes(64u << 10, 2);
  for (auto _ : st) benchmark::DoNotOptimize(h.digest(data));
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * data.size()));
  st.SetLabel(st.range(0) ? "sha256" : "sha512-256");
}
BENCHMARK(BM_Digest)->Arg(0)->Arg(1);

void BM_ZstdDecode(benchmark::State& st) {
  ChunkCodec c;
  auto data = mixed_bytes(static_cast<std::size_t>(st.range(0)));
  std::vector<std::uint8_t> frame, out;
  c.compress(data, frame);
  for (auto _ : st) c.decompress(frame, data.size(), out, "bench");
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * data.size()));
}
BENCHMARK(BM_ZstdDecode)->Arg(64 << 10)->Arg(2 << 20);

void BM_ZstdEncode(benchmark::State& st) {
  ChunkCodec c(static_cast<int>(st.range(1)));
  auto data = mixed_bytes(static_cast<std::size_t>(st.range(0)));
  std::vector<std::uint8_t> frame;
  for (auto _ : st) c.compress(data, frame);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * data.size()));
}
BENCHMARK(BM_ZstdEncode)->Args({64 << 10, 3})->Args({2 << 20, 3})->Args({2 << 20, 1});

void BM_IndexParse(benchmark::State& st) {
  Index idx(DigestKind::sha512_256, ChunkSizes{});
  std::mt19937_64 r(3);
  std::uint64_t end = 0;
  for (int i = 0; i < 100000; ++i) {
    end += 16384 + r() % 100000;
    IndexEntry e{end, {}};
    for (auto& b : e.id.bytes) b = static_cast<std::uint8_t>(r());
    idx.entries.push_back(e);
  }
  auto bytes = idx.serialize();
  for (auto _ : st) benchmark::DoNotOptimize(Index::parse(bytes, "bench.caibx"));
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations() * bytes.size()));
}
BENCHMARK(BM_IndexParse)->Unit(benchmark::kMillisecond);

}  // namespace
