// ChunkCodec (core) on arbitrary frames. The first 2 bytes are the expected size (up to 64 KiB), the
// next 2 the limit in 16-byte units (up to 1 MiB), the rest is the frame. Properties: bad frames are a
// chunkbench::Error; decompress() yields exactly the expected size; decompress_any() never more than its
// limit (a zstd bomb must not grow the buffer past it); and compress -> decompress gives back the input.
#include <cstdint>
#include <span>
#include <vector>

#include "check.hpp"
#include "chunkbench/codec.hpp"
#include "chunkbench/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::size_t expected = std::size_t(data[0]) << 8 | data[1];
  const std::size_t limit = (std::size_t(data[2]) << 8 | data[3]) * 16;
  const std::span<const std::uint8_t> frame(data + 4, size - 4);
  thread_local chunkbench::ChunkCodec codec(1);
  std::vector<std::uint8_t> out;
  try {
    codec.decompress(frame, expected, out, "fuzz.cacnk");
    FUZZ_CHECK(out.size() == expected, "decompress gave %zu bytes, expected %zu", out.size(), expected);
  } catch (const chunkbench::Error&) {
  }
  try {
    codec.decompress_any(frame, limit, out, "fuzz.cacnk");
    FUZZ_CHECK(out.size() <= limit, "decompress_any gave %zu bytes over the limit %zu", out.size(), limit);
  } catch (const chunkbench::Error&) {
  }
  std::vector<std::uint8_t> packed, back;
  codec.compress(frame, packed);
  codec.decompress(packed, frame.size(), back, "roundtrip");
  FUZZ_CHECK(back.size() == frame.size() && std::equal(back.begin(), back.end(), frame.begin()),
             "round trip of %zu bytes differs", frame.size());
  return 0;
}
