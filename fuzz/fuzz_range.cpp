// Range parsing in the server (server/src/range.cpp). The first 8 bytes are the file size (also tiny
// and zero sizes, from the low byte), the rest the header value. Properties: a partial answer lies
// inside the file, is non-empty, covers every satisfiable spec and starts and ends at one of them; an
// invalid header is answered whole; 416 exactly when no spec selects a byte.
#include <algorithm>
#include <cstdint>
#include <string_view>

#include "check.hpp"
#include "range.hpp"

using chunkbench::server::RangeAnswer;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  std::uint64_t file = 0;
  for (int i = 0; i < 8; ++i) file = file << 8 | data[i];
  if (data[0] & 0x80) file = data[7] % 4;  // half the runs on files of 0-3 bytes, where the edges are
  const std::string_view header(reinterpret_cast<const char*>(data + 8), size - 8);

  const RangeAnswer a = chunkbench::server::answer_range(header, file);
  const auto specs = chunkbench::server::parse_range_header(header);
  if (!specs || header.empty()) {
    FUZZ_CHECK(a.kind == RangeAnswer::whole && a.first == 0 && a.length == file, "invalid header not answered whole");
    return 0;
  }
  FUZZ_CHECK(specs->size() <= chunkbench::server::kMaxRangeSpecs, "%zu specs", specs->size());
  // Each spec's satisfiable span, computed the plain way.
  bool any = false, empty_suffix = false, starts = false, ends = false, covers = true;
  for (const auto& s : *specs) {
    std::uint64_t f, l;
    if (!s.first) {
      FUZZ_CHECK(s.last.has_value(), "suffix without length");
      if (*s.last == 0) continue;
      if (file == 0) {
        empty_suffix = true;
        continue;
      }
      f = *s.last >= file ? 0 : file - *s.last;
      l = file - 1;
    } else {
      FUZZ_CHECK(!s.last || *s.last >= *s.first, "spec with last < first accepted");
      if (*s.first >= file) continue;
      f = *s.first;
      l = s.last ? std::min(*s.last, file - 1) : file - 1;
    }
    any = true;
    if (a.kind == RangeAnswer::partial) {
      starts |= f == a.first;
      ends |= l == a.first + a.length - 1;
      covers &= f >= a.first && l <= a.first + a.length - 1;
    }
  }
  switch (a.kind) {
    case RangeAnswer::unsatisfiable:
      FUZZ_CHECK(!any && !empty_suffix && a.length == 0, "416 although a spec is satisfiable");
      break;
    case RangeAnswer::partial:
      FUZZ_CHECK(a.length > 0 && a.first < file && a.length <= file - a.first, "span %llu+%llu outside %llu",
                 (unsigned long long)a.first, (unsigned long long)a.length, (unsigned long long)file);
      FUZZ_CHECK(starts && ends && covers, "span %llu+%llu is not the union of the specs", (unsigned long long)a.first,
                 (unsigned long long)a.length);
      break;
    case RangeAnswer::whole:
      FUZZ_CHECK(a.first == 0 && a.length == file, "whole answer is not the file");
      FUZZ_CHECK(any || empty_suffix, "whole answer although nothing is satisfiable");
      break;
  }
  return 0;
}
