#include "chunkbench/codec.hpp"

#include <zstd.h>

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
std::size_t decode_frames(ZSTD_DCtx* dctx, std::span<const std::uint8_t> frame, std::vector<std::uint8_t>& out,
                          std::size_t limit, const std::string& where) {
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  out.resize(limit + 1);
  ZSTD_inBuffer in{frame.data(), frame.size(), 0};
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  std::size_t ret = 1;
  if (frame.empty()) throw Error(Errc::corrupt, where + ": empty chunk file, expected a zstd frame");
  while (in.pos < in.size) {
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
  std::size_t n = decode_frames(impl_->dctx, frame, out, expected, where);
  if (n != expected)
    throw Error(Errc::corrupt, where + ": decompressed to " + std::to_string(n) + " bytes, the index says " +
                                   std::to_string(expected));
  out.resize(n);
}

void ChunkCodec::decompress_any(std::span<const std::uint8_t> frame, std::size_t limit, std::vector<std::uint8_t>& out,
                                const std::string& where) {
  out.resize(decode_frames(impl_->dctx, frame, out, limit, where));
}

void verify_chunk(Hasher& hasher, const ChunkId& id, std::span<const std::uint8_t> data, const std::string& where) {
  ChunkId got = hasher.digest(data);
  if (got != id)
    throw Error(Errc::corrupt, where + ": chunk " + id.hex() + " fails verification: its " + digest_name(hasher.kind()) +
                                   " is " + got.hex());
}

}  // namespace chunkbench
