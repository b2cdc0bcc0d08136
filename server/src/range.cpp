#include "range.hpp"

#include <algorithm>

namespace chunkbench::server {
namespace {

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// 1*DIGIT; a value past 2^64-1 saturates (it is past the end of any file either way).
std::optional<std::uint64_t> parse_digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
  }
  return v;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x) == y;
         });
}

std::optional<RangeSpec> parse_spec(std::string_view s) {
  const auto dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto a = s.substr(0, dash), b = s.substr(dash + 1);
  RangeSpec spec;
  if (a.empty()) {  // suffix-range: "-" suffix-length
    spec.last = parse_digits(b);
    if (!spec.last) return std::nullopt;
    return spec;
  }
  spec.first = parse_digits(a);
  if (!spec.first) return std::nullopt;
  if (!b.empty()) {
    spec.last = parse_digits(b);
    if (!spec.last || *spec.last < *spec.first) return std::nullopt;  // RFC 9110 §14.1.1: invalid
  }
  return spec;
}

struct Span {
  std::uint64_t first, last;  // inclusive
};

}  // namespace

std::optional<std::vector<RangeSpec>> parse_range_header(std::string_view header) {
  header = trim_ows(header);
  const auto eq = header.find('=');
  if (eq == std::string_view::npos || !iequals(header.substr(0, eq), "bytes")) return std::nullopt;
  std::string_view rest = header.substr(eq + 1);
  std::vector<RangeSpec> specs;
  // 1#range-spec: comma-separated, empty elements allowed, at least one range-spec.
  for (;;) {
    const auto comma = rest.find(',');
    const auto element = trim_ows(rest.substr(0, comma));
    if (!element.empty()) {
      auto spec = parse_spec(element);
      if (!spec || specs.size() == kMaxRangeSpecs) return std::nullopt;
      specs.push_back(*spec);
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (specs.empty()) return std::nullopt;
  return specs;
}

RangeAnswer answer_range(std::string_view header, std::uint64_t size) {
  const RangeAnswer whole{RangeAnswer::whole, 0, size};
  if (header.empty()) return whole;
  const auto specs = parse_range_header(header);
  if (!specs) return whole;

  std::vector<Span> spans;
  bool empty_suffix_on_empty_file = false;
  for (const RangeSpec& s : *specs) {
    if (!s.first) {
      const std::uint64_t n = *s.last;
      if (n == 0) continue;  // a zero suffix selects nothing
      if (size == 0) {
        empty_suffix_on_empty_file = true;
        continue;
      }
      spans.push_back({size - std::min(n, size), size - 1});
    } else if (*s.first < size) {
      spans.push_back({*s.first, std::min(s.last.value_or(size - 1), size - 1)});
    }
  }
  if (spans.empty()) return empty_suffix_on_empty_file ? whole : RangeAnswer{RangeAnswer::unsatisfiable, 0, 0};

  std::sort(spans.begin(), spans.end(), [](const Span& x, const Span& y) { return x.first < y.first; });
  Span merged = spans.front();
  for (std::size_t i = 1; i < spans.size(); ++i) {
    // Overlapping or adjacent (last + 1 cannot overflow: last < size).
    if (spans[i].first > merged.last + 1) return whole;  // disjoint spans would need multipart/byteranges
    merged.last = std::max(merged.last, spans[i].last);
  }
  return {RangeAnswer::partial, merged.first, merged.last - merged.first + 1};
}

}  // namespace chunkbench::server
