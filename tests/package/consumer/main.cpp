#include <chunkbench/chunker.hpp>
#include <chunkbench/digest.hpp>
#include <chunkbench/index.hpp>
#include <cstdio>
#include <vector>

int main() {
  std::vector<std::uint8_t> data(1 << 20, 7);
  auto ends = chunkbench::chunk_boundaries(data, chunkbench::parse_chunk_sizes("16:64:256"));
  chunkbench::Hasher h(chunkbench::DigestKind::sha512_256);
  chunkbench::Index idx(chunkbench::DigestKind::sha512_256, chunkbench::parse_chunk_sizes("16:64:256"));
  std::uint64_t start = 0;
  for (auto e : ends) {
    idx.entries.push_back({e, h.digest(std::span(data).subspan(start, e - start))});
    start = e;
  }
  auto bytes = idx.serialize();
  std::printf("%zu chunks, %zu index bytes\n", idx.size(), bytes.size());
  return chunkbench::Index::parse(bytes, "mem").size() == ends.size() ? 0 : 1;
}
