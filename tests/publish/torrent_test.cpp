// The image's .torrent, read back with libtorrent's own parser: one file, its length, web seeds
// (BEP 19 url-list), one tracker per tier, and piece hashes that match the file.
#include "chunkbench/publish/torrent.hpp"

#include <gtest/gtest.h>
#include <libtorrent/hasher.hpp>
#include <libtorrent/torrent_info.hpp>

#include "../core/test_util.hpp"
#include "chunkbench/error.hpp"

namespace chunkbench::publish {
namespace {

TEST(Torrent, WebSeedsTrackersAndPieces) {
  test::TempDir dir;
  auto data = test::random_data(300000, 7);
  test::write_file(dir / "kde-linux_202603240254.iso", data);
  TorrentSpec spec;
  spec.file = dir / "kde-linux_202603240254.iso";
  spec.output = dir / "kde-linux_202603240254.torrent";
  spec.web_seeds = {"https://mirror.example/kde-linux/kde-linux_202603240254.iso", "https://other.example/kde-linux/"};
  spec.trackers = {"udp://tracker.opentrackr.org:1337/announce", "udp://open.demonii.com:1337/announce"};
  spec.comment = "KDE Linux 202603240254";
  spec.piece_size = 65536;
  spec.creation_date = 0;
  auto made = make_torrent(spec);
  EXPECT_EQ(made.size, data.size());
  EXPECT_EQ(made.pieces, 5);

  lt::torrent_info info(spec.output);
  EXPECT_EQ(info.name(), "kde-linux_202603240254.iso");
  EXPECT_EQ(info.total_size(), static_cast<std::int64_t>(data.size()));
  EXPECT_EQ(info.piece_length(), 65536);
  EXPECT_EQ(info.comment(), "KDE Linux 202603240254");
  ASSERT_EQ(info.web_seeds().size(), 2u);
  EXPECT_EQ(info.web_seeds()[0].url, spec.web_seeds[0]);
  EXPECT_EQ(info.web_seeds()[1].url, spec.web_seeds[1]);
  ASSERT_EQ(info.trackers().size(), 2u);
  EXPECT_EQ(info.trackers()[1].tier, 1);
  for (int p = 0; p < info.num_pieces(); ++p) {
    std::size_t off = static_cast<std::size_t>(p) * 65536, len = std::min<std::size_t>(65536, data.size() - off);
    lt::hasher h(reinterpret_cast<const char*>(data.data() + off), static_cast<int>(len));
    EXPECT_EQ(h.final(), info.hash_for_piece(lt::piece_index_t(p))) << "piece " << p;
  }
  // Same input, same date: the same bytes (reproducible builds can compare torrents).
  auto first = test::read_file(spec.output);
  make_torrent(spec);
  EXPECT_EQ(first, test::read_file(spec.output));
}

TEST(Torrent, BadInput) {
  test::TempDir dir;
  TorrentSpec spec;
  spec.file = dir / "absent.iso";
  spec.output = dir / "x.torrent";
  EXPECT_THROW(make_torrent(spec), Error);
  test::write_file(dir / "a.iso", {1, 2, 3});
  spec.file = dir / "a.iso";
  spec.piece_size = 1000;
  EXPECT_THROW(make_torrent(spec), Error);
}

}  // namespace
}  // namespace chunkbench::publish
