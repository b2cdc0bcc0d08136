// Index::parse (core) on arbitrary bytes. Besides not crashing: bad input is a chunkbench::Error (any
// other exception escapes and is reported); an index that parses has strictly increasing chunk ends,
// no chunk over the index's maximum, and serialises back to exactly the bytes it came from.
#include <cstdint>
#include <span>

#include "check.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/index.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  chunkbench::Index idx;
  try {
    idx = chunkbench::Index::parse(in, "fuzz.caibx");
  } catch (const chunkbench::Error&) {
    return 0;
  }
  std::uint64_t prev = 0;
  for (const auto& e : idx.entries) {
    FUZZ_CHECK(e.end > prev, "chunk end %llu after %llu", (unsigned long long)e.end, (unsigned long long)prev);
    FUZZ_CHECK(e.end - prev <= idx.sizes.max, "chunk of %llu bytes, max %llu", (unsigned long long)(e.end - prev),
               (unsigned long long)idx.sizes.max);
    prev = e.end;
  }
  FUZZ_CHECK(idx.blob_size() == prev, "blob size %llu", (unsigned long long)idx.blob_size());
  const auto again = idx.serialize();
  FUZZ_CHECK(again.size() == size && std::equal(again.begin(), again.end(), data),
             "serialised %zu bytes differ from the %zu parsed", again.size(), size);
  return 0;
}
