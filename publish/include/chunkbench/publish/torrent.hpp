#pragma once
// The .torrent of a release image with HTTP web seeds (BEP 19, `url-list`), made by
// libtorrent-rasterbar (no hand-written bencoding): single file, v1 (what transmission-create
// makes for KDE), one tracker per tier.
#include <cstdint>
#include <string>
#include <vector>

namespace chunkbench::publish {

struct TorrentSpec {
  std::string file;                     // the image
  std::string output;                   // the .torrent to write (temporary name, then renamed)
  std::vector<std::string> web_seeds;   // full file URLs, or directory URLs ending in '/' (BEP 19 appends the name)
  std::vector<std::string> trackers;    // announce URLs, each its own tier
  std::string comment;                  // e.g. "KDE Linux 202603240254"
  int piece_size = 0;                   // bytes, a power of two >= 16 KiB; 0: libtorrent's choice
  std::int64_t creation_date = -1;      // seconds since the epoch; -1: now (0 omits it, for reproducible files)
};

struct TorrentInfo {
  std::string info_hash;  // v1 SHA-1, hex
  int pieces = 0;
  int piece_length = 0;
  std::uint64_t size = 0;
};

TorrentInfo make_torrent(const TorrentSpec& spec);

}  // namespace chunkbench::publish
