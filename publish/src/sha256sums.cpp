#include "chunkbench/publish/sha256sums.hpp"

#include <fcntl.h>

#include <set>

#include "chunkbench/digest.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"

namespace chunkbench::publish {
namespace {

bool is_hex(std::string_view s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

// systemd refuses absolute, non-normalised and control-character names; v260.1 also refuses '/'.
const char* bad_name(std::string_view n) {
  if (n.empty()) return "empty file name";
  if (n == "." || n == "..") return "file name is . or ..";
  if (n.find('/') != std::string_view::npos) return "file name contains '/' (systemd v260.1 rejects subdirectories)";
  if (n.find('\\') != std::string_view::npos) return "file name contains a backslash (escaped names are unsupported)";
  for (unsigned char c : n)
    if (c < 0x20 || c == 0x7f) return "file name contains a control character";
  return nullptr;
}

bool valid_utf8(std::string_view s, std::size_t& bad_at) {
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) {
      bad_at = i;
      return false;
    }
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) {
        bad_at = i;
        return false;
      }
    i += n;
  }
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string format_sha256sums(const std::vector<SumEntry>& entries, const std::string& where) {
  if (entries.empty()) throw Error(Errc::invalid_input, where + ": no files to list (a manifest with no versions)");
  std::string out;
  std::set<std::string> seen;
  for (const auto& e : entries) {
    if (!is_hex(e.sha256))
      throw Error(Errc::invalid_input, where + ": entry '" + e.name + "' has no valid SHA-256 ('" + e.sha256 + "')");
    if (const char* why = bad_name(e.name)) throw Error(Errc::invalid_input, where + ": entry '" + e.name + "': " + why);
    if (ends_with(e.name, ".erofs.caibx"))
      throw Error(Errc::invalid_input, where + ": entry '" + e.name +
                                           "': *.erofs.caibx must not be listed (systemd matches *.erofs by prefix)");
    if (!seen.insert(e.name).second) throw Error(Errc::invalid_input, where + ": entry '" + e.name + "' listed twice");
    for (char c : e.sha256) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += "  " + e.name + "\n";
  }
  return out;
}

std::vector<SumEntry> parse_sha256sums(std::string_view text, const std::string& where) {
  if (text.find('\0') != std::string_view::npos)
    throw Error(Errc::invalid_input, where + ": manifest contains a NUL byte at offset " +
                                         std::to_string(text.find('\0')));
  std::size_t bad_at = 0;
  if (!valid_utf8(text, bad_at))
    throw Error(Errc::invalid_input, where + ": manifest is not valid UTF-8 at offset " + std::to_string(bad_at));
  std::vector<SumEntry> out;
  std::size_t pos = 0;
  for (int line_no = 1; pos < text.size(); ++line_no) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos)
      throw Error(Errc::invalid_input, where + ":" + std::to_string(line_no) + ": truncated manifest (no final newline)");
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    const std::string at = where + ":" + std::to_string(line_no) + ": ";
    if (line.size() < 66 || !is_hex(line.substr(0, 64)))
      throw Error(Errc::invalid_input, at + "bad digest (expected 64 hex digits)");
    if (line[64] != ' ' || (line[65] != ' ' && line[65] != '*'))
      throw Error(Errc::invalid_input, at + "expected ' ' and a mode character (' ' or '*') after the digest");
    std::string_view name = line.substr(66);
    if (const char* why = bad_name(name)) throw Error(Errc::invalid_input, at + why);
    out.push_back({std::string(line.substr(0, 64)), std::string(name)});
  }
  return out;
}

std::string sha256_file(const std::string& path) {
  Fd fd = open_file(path, O_RDONLY | O_CLOEXEC);
  Hasher hasher(DigestKind::sha256);  // a SHA-256 "chunk id" is the file's digest
  hasher.begin();
  std::vector<std::uint8_t> buf(1 << 20);
  for (std::uint64_t off = 0;;) {
    std::size_t n = pread_full(fd.get(), buf, off, path);
    if (n == 0) break;
    hasher.update(std::span<const std::uint8_t>(buf.data(), n));
    off += n;
  }
  return hasher.finish().hex();
}

void write_sha256sums(const std::string& path, const std::vector<SumEntry>& entries) {
  std::string text = format_sha256sums(entries, path);
  write_file_atomic(path, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace chunkbench::publish
