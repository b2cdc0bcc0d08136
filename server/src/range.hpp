#pragma once
// RFC 9110 §14 byte ranges: the one parser of the Range header, and the decision what a GET of a file
// answers to it. Both protocols go through here, and the body that is sent is cut from the same answer
// the headers are written from, so Content-Length and the bytes on the wire cannot disagree.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace chunkbench::server {

// One range-spec as written: `first-last`, `first-`, or the suffix `-length`.
struct RangeSpec {
  std::optional<std::uint64_t> first;  // empty: a suffix range
  std::optional<std::uint64_t> last;   // with first: empty means "to the end"; without: the suffix length
};

// At most this many range-specs are looked at; a longer set is ignored (answered with the whole file),
// which RFC 9110 §14.2 allows and which bounds the work a hostile header can cause.
constexpr std::size_t kMaxRangeSpecs = 64;

// Parses `bytes=...` (unit case-insensitive, optional whitespace around list elements, numbers too long
// for 64 bits saturate). Empty: the header is not a valid bytes ranges-specifier (another unit, no
// ranges, a spec with last < first, junk, or more than kMaxRangeSpecs) and must be ignored.
std::optional<std::vector<RangeSpec>> parse_range_header(std::string_view header);

struct RangeAnswer {
  enum Kind { whole, partial, unsatisfiable } kind = whole;
  std::uint64_t first = 0;   // first byte of the body in the file
  std::uint64_t length = 0;  // body bytes (whole: the file size; unsatisfiable: 0)
};

// What a GET of a `size`-byte file answers to `header` (empty: no Range header):
// - no header, an invalid one, or ranges that do not merge into one span: the whole file (200);
//   RFC 9110 lets a server ignore Range, and multipart/byteranges is not implemented;
// - the satisfiable specs merge (overlap or touch) into one span: that span (206);
// - none is satisfiable (every first-pos at or past the end, suffix length 0): 416 with `bytes */size`.
// A zero-length file with a non-zero suffix range is answered whole: there is no byte to put in a 206.
RangeAnswer answer_range(std::string_view header, std::uint64_t size);

}  // namespace chunkbench::server
