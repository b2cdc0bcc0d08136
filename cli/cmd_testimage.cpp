#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "chunkbench/error.hpp"
#include "chunkbench/imagegen.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

int run_testimage(int argc, char** argv) {
  Args args("testimage", "--out DIR [--kind tar|erofs|synthetic] [--size N] [--seed N]",
            "Writes DIR/v1.img and DIR/v2.img: a filesystem image of real files from this machine (tar or\n"
            "erofs) and its next version with a share of files changed, added and removed; or, with\n"
            "--kind synthetic, a generated blob and an edited copy (no host files involved).\n"
            "Same inputs and seed, same bytes.");
  args.option("out", 'o', "DIR", "output directory");
  args.option("kind", 0, "KIND", "tar (default), erofs or synthetic");
  args.option("size", 0, "SIZE", "content size, e.g. 256M (default 256M)");
  args.option("seed", 0, "N", "generator seed (default 1)");
  args.option("change", 0, "SHARE", "share of files changed (synthetic: bytes edited), default 5%");
  args.option("add", 0, "SHARE", "share of files added, default 2%");
  args.option("remove", 0, "SHARE", "share of files removed, default 2%");
  args.option("source", 0, "DIR", "directories whose files fill the image (default /usr/lib/x86_64-linux-gnu, /usr/share, /usr/bin)", true);
  args.flag("json", 0, "print a JSON summary");
  if (!args.parse(argc, argv)) return 0;
  args.expect_positionals({});
  if (!args.has("out")) throw Error(Errc::usage, "give the output directory with --out");
  const std::string out = args.get("out");
  std::filesystem::create_directories(out);
  const std::string kind = args.get("kind", "tar");
  const std::uint64_t size = size_option(args, "size", 256u << 20);
  const auto seed = static_cast<std::uint64_t>(args.get_int("seed", 1, 0, 1ll << 62));
  const std::string v1 = out + "/v1.img", v2 = out + "/v2.img";
  nlohmann::json j = {{"schema", "chunkbench.testimage/1"}, {"kind", kind}, {"v1", v1}, {"v2", v2}, {"seed", seed}};
  if (kind == "synthetic") {
    imagegen::SyntheticOptions so;
    so.bytes = size;
    so.seed = seed;
    imagegen::make_synthetic(so, v1);
    imagegen::mutate_synthetic(v1, v2, fraction_option(args, "change", 0.05), seed + 1);
  } else if (kind == "tar" || kind == "erofs") {
    imagegen::TreeOptions t;
    t.bytes = size;
    t.seed = seed;
    if (args.has("source")) t.sources = args.all("source");
    imagegen::Mutation m;
    m.changed = fraction_option(args, "change", 0.05);
    m.added = fraction_option(args, "add", 0.02);
    m.removed = fraction_option(args, "remove", 0.02);
    m.seed = seed + 1;
    auto r = imagegen::make_tree_images(t, m, kind == "tar" ? imagegen::Format::tar : imagegen::Format::erofs, v1, v2,
                                        out + "/.work");
    j["files_v1"] = r.files_v1, j["files_v2"] = r.files_v2, j["changed"] = r.changed, j["added"] = r.added,
    j["removed"] = r.removed;
  } else {
    throw Error(Errc::usage, "--kind must be tar, erofs or synthetic, not '" + kind + "'");
  }
  j["bytes_v1"] = std::filesystem::file_size(v1);
  j["bytes_v2"] = std::filesystem::file_size(v2);
  if (args.has("json")) std::printf("%s\n", j.dump(2).c_str());
  else std::printf("wrote %s (%s) and %s (%s)\n", v1.c_str(), human_bytes(j["bytes_v1"]).c_str(), v2.c_str(),
                   human_bytes(j["bytes_v2"]).c_str());
  return 0;
}

}  // namespace chunkbench::cli
