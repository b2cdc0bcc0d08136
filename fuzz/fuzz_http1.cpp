// HTTP/1.1 request parsing in the server (server/src/h1_parser.cpp and the target decoding of
// file_service.cpp). Properties: the requests do not depend on how the stream is cut into reads (the
// whole input at once vs. pieces whose sizes come from the input); at most one `bad` request, and it
// is the last; a decoded target is a plain relative path (no NUL, no "." or ".." segment, no leading
// slash); a request's Range answer lies inside a file.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "check.hpp"
#include "file_service.hpp"
#include "h1_parser.hpp"
#include "range.hpp"

using chunkbench::server::H1Parser;
using chunkbench::server::H1Request;

namespace {

bool same(const H1Request& a, const H1Request& b) {
  return a.method == b.method && a.target == b.target && a.range == b.range && a.if_range == b.if_range &&
         a.keep_alive == b.keep_alive && a.bad == b.bad;
}

void check_target(const std::string& target) {
  std::string rel;
  if (!chunkbench::server::decode_target(target, rel)) return;
  FUZZ_CHECK(rel.find('\0') == std::string::npos, "NUL in decoded path");
  FUZZ_CHECK(rel.empty() || rel[0] != '/', "decoded path is absolute: %s", rel.c_str());
  std::string_view rest = rel;
  for (;;) {
    const auto slash = rest.find('/');
    const auto seg = rest.substr(0, slash);
    FUZZ_CHECK(seg != "." && seg != "..", "dot segment in decoded path: %s", rel.c_str());
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t step_seed = data[0];
  ++data;
  --size;
  std::deque<H1Request> whole, pieces;
  {
    H1Parser p;
    p.feed(data, size, whole);
  }
  {
    H1Parser p;
    std::size_t at = 0, k = 0;
    while (at < size) {
      const std::size_t n = std::min<std::size_t>(size - at, 1 + (step_seed * 31u + k++ * 7u) % 13u);
      p.feed(data + at, n, pieces);
      at += n;
    }
  }
  FUZZ_CHECK(whole.size() == pieces.size(), "%zu requests at once, %zu in pieces", whole.size(), pieces.size());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    FUZZ_CHECK(same(whole[i], pieces[i]), "request %zu differs when read in pieces", i);
    FUZZ_CHECK(!whole[i].bad || i + 1 == whole.size(), "a request after the parse error");
    if (whole[i].bad) continue;
    check_target(whole[i].target);
    const auto a = chunkbench::server::answer_range(whole[i].range, 1000);
    FUZZ_CHECK(a.first + a.length <= 1000, "range answer outside the file");
  }
  return 0;
}
