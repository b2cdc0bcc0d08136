#pragma once
// SHA256SUMS as KDE publishes it and as systemd-sysupdate reads it (kde-linux-pipeline.md §9).
// Written: GNU sha256sum text form, "<64 lowercase hex><2 spaces><basename>\n" per file, every line
// newline-terminated, no blank lines, never a *.erofs.caibx (old systemd matched patterns by
// prefix). Read: the rules of systemd's resource_load_from_web, so anything we accept sysupdate
// accepts too, and every rejection names the manifest and the line.
#include <string>
#include <string_view>
#include <vector>

namespace chunkbench::publish {

struct SumEntry {
  std::string sha256;  // 64 hex digits (lower case when written)
  std::string name;    // a plain file name: no '/', not "." or "..", no control characters
};

// The manifest text. Throws Errc::invalid_input naming `where` and the entry for a bad digest or
// name, a *.erofs.caibx entry, a duplicate name, or no entries at all (sysupdate would see no
// versions, which the pipeline treats as fatal).
std::string format_sha256sums(const std::vector<SumEntry>& entries, const std::string& where);
// Parses like systemd-sysupdate: NUL-free valid UTF-8; each line 64 hex digits, ' ', then ' ' or
// '*', the name, '\n'. A missing final newline is "truncated manifest"; an empty line is a bad
// digest. Errors are Errc::invalid_input naming `where` and the 1-based line.
std::vector<SumEntry> parse_sha256sums(std::string_view text, const std::string& where);

// SHA-256 of a whole file, lower-case hex; errors name the path.
std::string sha256_file(const std::string& path);
// Writes `entries` to `path` atomically (temporary name, rename).
void write_sha256sums(const std::string& path, const std::vector<SumEntry>& entries);

}  // namespace chunkbench::publish
