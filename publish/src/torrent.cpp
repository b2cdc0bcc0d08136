#include "chunkbench/publish/torrent.hpp"

#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/file_storage.hpp>
#include <libtorrent/torrent_info.hpp>

#include <filesystem>
#include <iterator>
#include <sstream>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"

namespace chunkbench::publish {

TorrentInfo make_torrent(const TorrentSpec& spec) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(spec.file, ec)) throw Error(Errc::not_found, "torrent source " + spec.file + ": not a regular file");
  if (spec.piece_size != 0 && (spec.piece_size < 16384 || (spec.piece_size & (spec.piece_size - 1)) != 0))
    throw Error(Errc::usage, "torrent piece size " + std::to_string(spec.piece_size) +
                                 " is not a power of two of at least 16 KiB");
  const fs::path path = fs::absolute(spec.file);
  lt::file_storage files;
  lt::add_files(files, path.string());
  if (files.num_files() != 1) throw Error(Errc::invalid_input, "torrent source " + spec.file + ": expected one file");
  lt::create_torrent t(files, spec.piece_size, lt::create_torrent::v1_only);
  for (std::size_t i = 0; i < spec.trackers.size(); ++i) t.add_tracker(spec.trackers[i], static_cast<int>(i));
  for (const auto& seed : spec.web_seeds) t.add_url_seed(seed);
  if (!spec.comment.empty()) t.set_comment(spec.comment.c_str());
  t.set_creator("chunkbench");
  if (spec.creation_date >= 0) t.set_creation_date(static_cast<std::time_t>(spec.creation_date));
  lt::error_code lec;
  lt::set_piece_hashes(t, path.parent_path().string(), lec);
  if (lec) throw Error(Errc::io, "hashing " + spec.file + " for its torrent: " + lec.message());

  std::vector<char> bytes;
  lt::bencode(std::back_inserter(bytes), t.generate());
  write_file_atomic(spec.output,
                    std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));

  lt::torrent_info info(lt::span<char const>(bytes.data(), static_cast<std::ptrdiff_t>(bytes.size())), lt::from_span);
  std::ostringstream hash;
  hash << info.info_hashes().v1;
  return {hash.str(), info.num_pieces(), info.piece_length(), static_cast<std::uint64_t>(info.total_size())};
}

}  // namespace chunkbench::publish
