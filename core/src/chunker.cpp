#include "chunkbench/chunker.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"
#include "chunkbench/units.hpp"

namespace chunkbench {

// The buzhash table casync (src/cachunker.c) and desync (chunker.go, BSD-3-Clause) share; the
// values are a wire-compatibility constant. tests/core/chunker_test.cpp cross-checks them against
// the table inside Debian's /usr/bin/casync.
const std::uint32_t kBuzhashTable[256] = {
    0x458be752, 0xc10748cc, 0xfbbcdbb8, 0x6ded5b68, 0xb10a82b5, 0x20d75648,
    0xdfc5665f, 0xa8428801, 0x7ebf5191, 0x841135c7, 0x65cc53b3, 0x280a597c,
    0x16f60255, 0xc78cbc3e, 0x294415f5, 0xb938d494, 0xec85c4e6, 0xb7d33edc,
    0xe549b544, 0xfdeda5aa, 0x882bf287, 0x3116737c, 0x05569956, 0xe8cc1f68,
    0x0806ac5e, 0x22a14443, 0x15297e10, 0x50d090e7, 0x4ba60f6f, 0xefd9f1a7,
    0x5c5c885c, 0x82482f93, 0x9bfd7c64, 0x0b3e7276, 0xf2688e77, 0x8fad8abc,
    0xb0509568, 0xf1ada29f, 0xa53efdfe, 0xcb2b1d00, 0xf2a9e986, 0x6463432b,
    0x95094051, 0x5a223ad2, 0x9be8401b, 0x61e579cb, 0x1a556a14, 0x5840fdc2,
    0x9261ddf6, 0xcde002bb, 0x52432bb0, 0xbf17373e, 0x7b7c222f, 0x2955ed16,
    0x9f10ca59, 0xe840c4c9, 0xccabd806, 0x14543f34, 0x1462417a, 0x0d4a1f9c,
    0x087ed925, 0xd7f8f24c, 0x7338c425, 0xcf86c8f5, 0xb19165cd, 0x9891c393,
    0x325384ac, 0x0308459d, 0x86141d7e, 0xc922116a, 0xe2ffa6b6, 0x53f52aed,
    0x2cd86197, 0xf5b9f498, 0xbf319c8f, 0xe0411fae, 0x977eb18c, 0xd8770976,
    0x9833466a, 0xc674df7f, 0x8c297d45, 0x8ca48d26, 0xc49ed8e2, 0x7344f874,
    0x556f79c7, 0x6b25eaed, 0xa03e2b42, 0xf68f66a4, 0x8e8b09a2, 0xf2e0e62a,
    0x0d3a9806, 0x9729e493, 0x8c72b0fc, 0x160b94f6, 0x450e4d3d, 0x7a320e85,
    0xbef8f0e1, 0x21d73653, 0x4e3d977a, 0x1e7b3929, 0x1cc6c719, 0xbe478d53,
    0x8d752809, 0xe6d8c2c6, 0x275f0892, 0xc8acc273, 0x4cc21580, 0xecc4a617,
    0xf5f7be70, 0xe795248a, 0x375a2fe9, 0x425570b6, 0x8898dcf8, 0xdc2d97c4,
    0x0106114b, 0x364dc22f, 0x1e0cad1f, 0xbe63803c, 0x5f69fac2, 0x4d5afa6f,
    0x1bc0dfb5, 0xfb273589, 0x0ea47f7b, 0x3c1c2b50, 0x21b2a932, 0x6b1223fd,
    0x2fe706a8, 0xf9bd6ce2, 0xa268e64e, 0xe987f486, 0x3eacf563, 0x1ca2018c,
    0x65e18228, 0x2207360a, 0x57cf1715, 0x34c37d2b, 0x1f8f3cde, 0x93b657cf,
    0x31a019fd, 0xe69eb729, 0x8bca7b9b, 0x4c9d5bed, 0x277ebeaf, 0xe0d8f8ae,
    0xd150821c, 0x31381871, 0xafc3f1b0, 0x927db328, 0xe95effac, 0x305a47bd,
    0x426ba35b, 0x1233af3f, 0x686a5b83, 0x50e072e5, 0xd9d3bb2a, 0x8befc475,
    0x487f0de6, 0xc88dff89, 0xbd664d5e, 0x971b5d18, 0x63b14847, 0xd7d3c1ce,
    0x7f583cf3, 0x72cbcb09, 0xc0d0a81c, 0x7fa3429b, 0xe9158a1b, 0x225ea19a,
    0xd8ca9ea3, 0xc763b282, 0xbb0c6341, 0x020b8293, 0xd4cd299d, 0x58cfa7f8,
    0x91b4ee53, 0x37e4d140, 0x95ec764c, 0x30f76b06, 0x5ee68d24, 0x679c8661,
    0xa41979c2, 0xf2b61284, 0x4fac1475, 0x0adb49f9, 0x19727a23, 0x15a7e374,
    0xc43a18d5, 0x3fb1aa73, 0x342fc615, 0x924c0793, 0xbee2d7f0, 0x8a279de9,
    0x4aa2d70c, 0xe24dd37f, 0xbe862c0b, 0x177c22c2, 0x5388e5ee, 0xcd8a7510,
    0xf901b4fd, 0xdbc13dbc, 0x6c0bae5b, 0x64efe8c7, 0x48b02079, 0x80331a49,
    0xca3d8ae6, 0xf3546190, 0xfed7108b, 0xc49b941b, 0x32baf4a9, 0xeb833a4a,
    0x88a3f1a5, 0x3a91ce0a, 0x3cc27da1, 0x7112e684, 0x4a3096b1, 0x3794574c,
    0xa3c8b6f3, 0x1d213941, 0x6e0a2e00, 0x233479f1, 0x0f4cd82f, 0x6093edd2,
    0x5d7d209e, 0x464fe319, 0xd4dcac9e, 0x0db845cb, 0xfb5e4bc3, 0xe0256ce1,
    0x09fb4ed1, 0x0914be1e, 0xa5bdb2c3, 0xc6eb57bb, 0x30320350, 0x3f397e91,
    0xa67791bc, 0x86bc0e2c, 0xefa0a7e2, 0xe9ff7543, 0xe733612c, 0xd185897b,
    0x329e5388, 0x91dd236b, 0x2ecb0d93, 0xf4d82a3d, 0x35b5c03f, 0xe4e606f0,
    0x05b21843, 0x37b45964, 0x5eff22f4, 0x6027f4cc, 0x77178b3c, 0xae507131,
    0x7bf7cabc, 0xf9c18d66, 0x593ade65, 0xd95ddf11,
};

namespace {

constexpr std::uint64_t kLimitMax = 128ull << 20;

inline std::uint32_t rol32(std::uint32_t x, unsigned k) {
  k &= 31;
  return k == 0 ? x : (x << k) | (x >> (32 - k));
}


std::string size_str(std::uint64_t v) {
  if (v % (1 << 20) == 0) return std::to_string(v >> 20) + "M";
  if (v % 1024 == 0) return std::to_string(v >> 10) + "K";
  return std::to_string(v) + "B";
}

}  // namespace

std::string ChunkSizes::str() const {
  if (min % 1024 == 0 && avg % 1024 == 0 && max % 1024 == 0)
    return std::to_string(min / 1024) + ":" + std::to_string(avg / 1024) + ":" + std::to_string(max / 1024);
  return size_str(min) + ":" + size_str(avg) + ":" + size_str(max);
}

namespace {

// desync's rule: a bare number is KiB (16:64:256); units as everywhere else.
std::uint64_t one_size(std::string_view part, std::string_view whole) {
  return units::parse_size(part, "chunk size '" + std::string(whole) + "'", 1024);
}

}  // namespace

ChunkSizes parse_chunk_sizes(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  ChunkSizes s;
  if (parts.size() == 1) {
    s.avg = one_size(parts[0], text);
    s.min = std::max<std::uint64_t>(1, s.avg / 4);
    s.max = s.avg * 4;
  } else if (parts.size() == 3) {
    s.min = one_size(parts[0], text);
    s.avg = one_size(parts[1], text);
    s.max = one_size(parts[2], text);
  } else {
    throw Error(Errc::usage, "chunk size '" + std::string(text) + "': expected MIN:AVG:MAX (e.g. 16:64:256 in KiB, or 1M:2M:4M)");
  }
  validate_chunk_sizes(s, "chunk size '" + std::string(text) + "'");
  return s;
}

void validate_chunk_sizes(const ChunkSizes& s, std::string_view what) {
  auto fail = [&](const std::string& why) { throw Error(Errc::usage, std::string(what) + ": " + why); };
  if (s.min < 1) fail("min must be at least 1 byte");
  if (s.min > s.avg || s.avg > s.max) fail("need min <= avg <= max, got " + std::to_string(s.min) + ":" +
                                           std::to_string(s.avg) + ":" + std::to_string(s.max) + " bytes");
  if (s.max > kLimitMax) fail("max must be at most 128 MiB (casync's limit)");
  if (s.max < Chunker::kWindow) fail("max must be at least 48 bytes (the rolling hash window)");
  double denom = -1.42888852e-7 * static_cast<double>(s.avg) + 1.33237515;
  if (denom <= 0.05 || static_cast<double>(s.avg) / denom > 4294967295.0)
    fail("avg " + std::to_string(s.avg) + " is beyond where casync's discriminator formula holds (keep avg <= 4 MiB)");
}

std::uint64_t chunk_discriminator(const ChunkSizes& s) {
  auto avg = static_cast<double>(s.avg);
  auto d = static_cast<std::uint64_t>(avg / (-1.42888852e-7 * avg + 1.33237515));
  return std::clamp<std::uint64_t>(d, s.min, s.max);
}

Chunker::Chunker(const ChunkSizes& sizes) : sizes_(sizes) {
  validate_chunk_sizes(sizes, "chunker sizes");
  std::uint64_t d = chunk_discriminator(sizes);
  if (d == 0 || d > 0xFFFFFFFFull) throw Error(Errc::usage, "chunk discriminator out of range for " + sizes.str());
  d_ = static_cast<std::uint32_t>(d);
  // Lemire's fastmod: exact h % d for 32-bit h without a division in the per-byte loop.
  fastmod_m_ = UINT64_C(0xFFFFFFFFFFFFFFFF) / d_ + 1;
  first_test_ = static_cast<std::size_t>(std::max<std::uint64_t>(sizes.min, kWindow));
}

inline bool Chunker::boundary(std::uint32_t h) const noexcept {
  std::uint64_t low = fastmod_m_ * h;
  auto mod = static_cast<std::uint32_t>((static_cast<unsigned __int128>(low) * d_) >> 64);
  return mod == d_ - 1;
}

std::size_t Chunker::next(std::span<const std::uint8_t> chunk, bool eof) {
  const std::size_t n = chunk.size();
  const std::uint8_t* p = chunk.data();
  const auto max = static_cast<std::size_t>(sizes_.max);
  auto cut = [&](std::size_t len) {
    pos_ = 0;
    h_ = 0;
    return len;
  };
  if (pos_ == 0) {
    if (n < first_test_) return eof && n > 0 ? cut(n) : 0;
    // The hash depends only on the last 48 bytes, so start directly at the first tested length.
    std::uint32_t h = 0;
    for (std::size_t j = 0; j < kWindow; ++j)
      h ^= rol32(kBuzhashTable[p[first_test_ - kWindow + j]], static_cast<unsigned>(kWindow - 1 - j));
    pos_ = first_test_;
    h_ = h;
    if (pos_ >= max || boundary(h)) return cut(pos_);
  }
  std::size_t limit = std::min(n, max);
  std::uint32_t h = h_;
  std::size_t L = pos_;
  while (L < limit) {
    // Rolling in byte L (length becomes L+1), rolling out byte L-48; rol by 48 == rol by 16.
    h = rol32(h, 1) ^ rol32(kBuzhashTable[p[L - kWindow]], 16) ^ kBuzhashTable[p[L]];
    ++L;
    if (boundary(h)) return cut(L);
  }
  pos_ = L;
  h_ = h;
  if (L >= max) return cut(max);
  if (eof) return cut(n);
  return 0;
}

std::vector<std::uint64_t> chunk_boundaries(std::span<const std::uint8_t> data, const ChunkSizes& sizes) {
  Chunker c(sizes);
  std::vector<std::uint64_t> ends;
  std::size_t pos = 0;
  while (pos < data.size()) {
    std::size_t len = c.next(data.subspan(pos), true);
    pos += len;
    ends.push_back(pos);
  }
  return ends;
}

ChunkReader::ChunkReader(int fd, std::string path, const ChunkSizes& sizes, std::uint64_t start, std::size_t read_block)
    : fd_(fd), path_(std::move(path)), chunker_(sizes), file_pos_(start), block_(read_block) {
  buf_.resize(static_cast<std::size_t>(sizes.max) + block_);
}

bool ChunkReader::next(std::uint64_t& offset, std::span<const std::uint8_t>& chunk) {
  while (true) {
    std::span<const std::uint8_t> avail(buf_.data() + begin_, end_ - begin_);
    if (!avail.empty() || eof_) {
      std::size_t len = chunker_.next(avail, eof_);
      if (len > 0) {
        offset = file_pos_ - (end_ - begin_);
        chunk = avail.first(len);
        begin_ += len;
        return true;
      }
      if (eof_) return false;
    }
    if (buf_.size() - end_ < block_) {
      // Keep the partial chunk, drop consumed bytes; moves at most one max-size chunk per block.
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    std::size_t n = pread_full(fd_, std::span(buf_.data() + end_, block_), file_pos_, path_);
    end_ += n;
    file_pos_ += n;
    if (n < block_) eof_ = true;
  }
}

}  // namespace chunkbench
