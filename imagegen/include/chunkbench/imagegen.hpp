#pragma once
// Test images without downloads. Two kinds:
//  - filesystem images of real files from this machine (a tar written here, or erofs via
//    mkfs.erofs) plus a "next version" with a share of files changed, added and removed;
//  - synthetic blobs from a seeded generator (text, binary, zero runs, incompressible data), plus a
//    next version with edits that shift content, for unit tests that must not depend on the host.
// The same seed and the same host files give the same bytes.
#include <cstdint>
#include <string>
#include <vector>

namespace chunkbench::imagegen {

struct TreeOptions {
  std::vector<std::string> sources{"/usr/lib/x86_64-linux-gnu", "/usr/share", "/usr/bin"};
  std::uint64_t bytes = 256ull << 20;  // stop adding files past this much content
  std::uint64_t seed = 1;
};

struct Mutation {
  double changed = 0.05;  // share of files whose bytes change in place
  double added = 0.02;    // new files, relative to the file count
  double removed = 0.02;  // files dropped
  std::uint64_t seed = 2;
};

enum class Format { tar, erofs };

struct TreeImages {
  std::uint64_t files_v1 = 0, files_v2 = 0;
  std::uint64_t changed = 0, added = 0, removed = 0;
  std::uint64_t bytes_v1 = 0, bytes_v2 = 0;
};

// Writes `v1` and `v2` images of format `fmt`; `work` is a scratch directory (removed after).
TreeImages make_tree_images(const TreeOptions& tree, const Mutation& mut, Format fmt, const std::string& v1,
                            const std::string& v2, const std::string& work);

struct SyntheticOptions {
  std::uint64_t bytes = 64ull << 20;
  std::uint64_t seed = 1;
  double zero_share = 0.05;            // long zero runs, as unused filesystem space
  double incompressible_share = 0.35;  // already-compressed content (lz4/zstd in erofs, media)
};

void make_synthetic(const SyntheticOptions& opt, const std::string& path);
// `to` = `from` with roughly `share` of its bytes rewritten, inserted or deleted in places chosen by
// `seed`; insertions and deletions shift what follows, as a changed file in a filesystem would.
void mutate_synthetic(const std::string& from, const std::string& to, double share, std::uint64_t seed);

}  // namespace chunkbench::imagegen
