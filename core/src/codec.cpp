#include "chunkbench/codec.hpp"

#include <zstd.h>

#include <algorithm>

#include "chunkbench/error.hpp"

namespace chunkbench {

struct ChunkCodec::Impl {
  int level;
  ZSTD_CCtx* cctx = nullptr;
  ZSTD_DCtx* dctx = nullptr;
  ~Impl() {
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
  }
};

ChunkCodec::ChunkCodec(int level) : impl_(std::make_unique<Impl>()) {
  impl_->level = level;
  impl_->cctx = ZSTD_createCCtx();
  impl_->dctx = ZSTD_createDCtx();
  if (!impl_->cctx || !impl_->dctx) throw Error(Errc::io, "cannot allocate zstd contexts");
}

ChunkCodec::~ChunkCodec() = default;
ChunkCodec::ChunkCodec(ChunkCodec&&) noexcept = default;
ChunkCodec& ChunkCodec::operator=(ChunkCodec&&) noexcept = default;

void ChunkCodec::compress(std::span<const std::uint8_t> raw, std::vector<std::uint8_t>& out) {
  out.resize(ZSTD_compressBound(raw.size()));
  std::size_t n = ZSTD_compressCCtx(impl_->cctx, out.data(), out.size(), raw.data(), raw.size(), impl_->level);
  if (ZSTD_isError(n)) throw Error(Errc::io, std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
  out.resize(n);
}

namespace {

// Streams every frame of `frame` into `out`, which must have room for limit+1 bytes so an
// over-long chunk is noticed instead of silently cut. Returns the decoded length.
// `initial` is the first output size; it grows (doubling, up to limit+1) only when the size is not
// known, so checking a chunk against a generous limit does not zero that much memory each time.
std::size_t decode_frames(ZSTD_DCtx* dctx, std::span<const std::uint8_t> frame, std::vector<std::uint8_t>& out,
                          std::size_t limit, std::size_t initial, const std::string& where) {
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  out.resize(std::min(initial, limit + 1));
  ZSTD_inBuffer in{frame.data(), frame.size(), 0};
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  std::size_t ret = 1;
  if (frame.empty()) throw Error(Errc::corrupt, where + ": empty chunk file, expected a zstd frame");
  while (in.pos < in.size) {
    if (ob.pos == ob.size && ob.size < limit + 1) {
      out.resize(std::min(limit + 1, ob.size * 2));
      ob.dst = out.data();
      ob.size = out.size();
    }
    ret = ZSTD_decompressStream(dctx, &ob, &in);
    if (ZSTD_isError(ret))
      throw Error(Errc::corrupt, where + ": bad zstd data at compressed byte " + std::to_string(in.pos) + ": " +
                                     ZSTD_getErrorName(ret));
    if (ob.pos > limit)
      throw Error(Errc::corrupt, where + ": decompresses to more than the expected " + std::to_string(limit) + " bytes");
    if (ret != 0 && in.pos == in.size && ob.pos < ob.size) {
      // The decoder may still hold buffered output; flush it before calling the frame truncated.
      std::size_t before = ob.pos;
      ret = ZSTD_decompressStream(dctx, &ob, &in);
      if (ZSTD_isError(ret) || ob.pos == before) break;
    }
  }
  if (ret != 0)
    throw Error(Errc::corrupt, where + ": truncated zstd frame (" + std::to_string(frame.size()) + " compressed bytes)");
  if (ob.pos > limit)
    throw Error(Errc::corrupt, where + ": decompresses to more than the expected " + std::to_string(limit) + " bytes");
  return ob.pos;
}

}  // namespace

void ChunkCodec::decompress(std::span<const std::uint8_t> frame, std::size_t expected, std::vector<std::uint8_t>& out,
                            const std::string& where) {
  std::size_t n = decode_frames(impl_->dctx, frame, out, expected, expected + 1, where);
  if (n != expected)
    throw Error(Errc::corrupt, where + ": decompressed to " + std::to_string(n) + " bytes, the index says " +
                                   std::to_string(expected));
  out.resize(n);
}

void ChunkCodec::decompress_any(std::span<const std::uint8_t> frame, std::size_t limit, std::vector<std::uint8_t>& out,
                                const std::string& where) {
  out.resize(decode_frames(impl_->dctx, frame, out, limit, std::max<std::size_t>(frame.size() * 4, 1u << 16), where));
}

void verify_chunk(Hasher& hasher, const ChunkId& id, std::span<const std::uint8_t> data, const std::string& where) {
  ChunkId got = hasher.digest(data);
  if (got != id)
    throw Error(Errc::corrupt, where + ": chunk " + id.hex() + " fails verification: its " + digest_name(hasher.kind()) +
                                   " is " + got.hex());
}

}  // namespace chunkbench
