#include <cstdio>

#include <nlohmann/json.hpp>

#include "chunkbench/error.hpp"
#include "chunkbench/publish/update.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

int run_update(int argc, char** argv) {
  Args args("update", "--url URL --keyring FILE -s STORE... --output-dir DIR [--installed IMAGE] [--json]",
            "Updates like systemd-sysupdate: fetches URL/SHA256SUMS and its signature (SHA256SUMS.sha256.asc,\n"
            ".sha256.gpg, .gpg, .asc in that order), verifies it against the keyring, picks the newest\n"
            "version whose index (--index-pattern) and image (--image-pattern) are both listed, checks the\n"
            "index's SHA-256, rebuilds the image from the stores with the installed image as seed, and\n"
            "checks its SHA-256 before renaming it into DIR (its index beside it as IMAGE.caibx).\n"
            "Exit status 0 also when the installed version is the newest.");
  args.option("url", 0, "URL", "the sysupdate directory, e.g. https://HOST/kde-linux/testing/sysupdate/v2/");
  args.option("keyring", 0, "FILE", "public keyring the manifest must be signed with");
  args.option("store", 's', "STORE", "chunk store (directory or http(s)://), tried in order", true);
  args.option("installed", 0, "IMAGE", "the installed image: its version, and the seed");
  args.option("output-dir", 'o', "DIR", "where the new image goes");
  args.option("index-pattern", 0, "P", "index name, @v = version (default kde-linux_@v_root-x86-64.caibx)");
  args.option("image-pattern", 0, "P", "image name (default kde-linux_@v_root-x86-64.erofs)");
  add_http_options(args);
  args.option("concurrency", 'n', "N", "decode and write threads (default: one per core)");
  args.flag("json", 0, "print JSON on stdout");
  if (!args.parse(argc, argv)) return 0;
  args.expect_positionals({});
  if (!args.has("url") || !args.has("keyring") || !args.has("output-dir") || !args.has("store"))
    throw Error(Errc::usage, "give --url, --keyring, -s and --output-dir");
  publish::UpdateSpec spec;
  spec.url = args.get("url");
  spec.keyring = args.get("keyring");
  spec.stores = args.all("store");
  spec.installed = args.get("installed");
  spec.output_dir = args.get("output-dir");
  spec.index_pattern = args.get("index-pattern", spec.index_pattern);
  spec.image_pattern = args.get("image-pattern", spec.image_pattern);
  spec.http = http_options(args);
  spec.threads = static_cast<unsigned>(args.get_int("concurrency", 0, 0, 1024));
  const auto r = publish::update(spec);

  if (args.has("json")) {
    nlohmann::json j = {{"schema", "chunkbench.update/1"}, {"installed_version", r.installed_version},
                        {"version", r.version},             {"updated", r.updated},
                        {"output", r.output},               {"signer", r.signer},
                        {"bytes_from_seeds", r.report.stats.bytes_from_seeds},
                        {"chunks_fetched", r.report.stats.chunks_fetched},
                        {"bytes_fetched", r.report.stats.bytes_fetched}};
    std::printf("%s\n", j.dump(2).c_str());
  } else if (!r.updated) {
    std::printf("up to date: installed %s, newest offered %s (manifest signed by %s)\n", r.installed_version.c_str(),
                r.version.c_str(), r.signer.c_str());
  } else {
    std::printf("updated %s -> %s: %s (manifest signed by %s)\n",
                r.installed_version.empty() ? "(none)" : r.installed_version.c_str(), r.version.c_str(), r.output.c_str(),
                r.signer.c_str());
    std::printf("  %s from the installed image, %llu chunks (%s) downloaded\n",
                human_bytes(r.report.stats.bytes_from_seeds).c_str(), (unsigned long long)r.report.stats.chunks_fetched,
                human_bytes(r.report.stats.bytes_fetched).c_str());
  }
  return 0;
}

}  // namespace chunkbench::cli
