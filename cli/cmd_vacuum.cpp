#include <cstdio>

#include <nlohmann/json.hpp>

#include "chunkbench/error.hpp"
#include "chunkbench/publish/vacuum.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

int run_vacuum(int argc, char** argv) {
  Args args("vacuum", "--bucket s3+https://HOST/BUCKET[/PREFIX] --edition E [--out DIR] [--really-delete]",
            "Keeps the newest releases of an edition (default 4) plus the tombstone and golden versions of\n"
            "vacuum.yaml (--config, else the bucket's PREFIX/vacuum.yaml) and deletes the others; dry run\n"
            "unless --really-delete. Writes DIR/E/SHA256SUMS and DIR/E/sysupdate/v2/SHA256SUMS for the kept\n"
            "releases from the objects' x-amz-meta-x-kde-sha256 metadata (no download, no re-hashing); an\n"
            "object without it stops the vacuum before anything is deleted. Sign and upload DIR afterwards\n"
            "(or give a key here to sign).");
  args.option("bucket", 0, "URL", "s3+https://HOST/BUCKET[/PREFIX] holding the edition directories");
  args.option("edition", 0, "E", "edition directory, e.g. testing");
  args.option("config", 0, "FILE", "vacuum.yaml (default: PREFIX/vacuum.yaml in the bucket)");
  args.option("keep", 0, "N", "newest releases to keep (default 4)");
  args.option("out", 'o', "DIR", "where the regenerated SHA256SUMS go (default upload-tree)");
  args.option("gnupghome", 0, "DIR", "sign the manifests with a key of this GNUPGHOME");
  args.option("secret-key", 0, "FILE", "sign with this exported secret key");
  args.option("key", 0, "ID", "signing key (default: gpg's default key)");
  args.flag("really-delete", 0, "delete the releases (default: only report)");
  add_http_options(args);
  args.option("concurrency", 'n', "N", "requests in flight (default 16)");
  args.flag("json", 0, "print JSON on stdout");
  if (!args.parse(argc, argv)) return 0;
  args.expect_positionals({});
  if (!args.has("bucket") || !args.has("edition")) throw Error(Errc::usage, "give --bucket and --edition");
  auto client = open_s3_client(args.get("bucket"), args);

  publish::VacuumSpec spec;
  spec.layout.edition = args.get("edition");
  spec.prefix = client->endpoint().prefix;
  spec.keep_newest = static_cast<std::size_t>(args.get_int("keep", 4, 1, 1000));
  if (args.has("config")) {
    spec.config = publish::load_vacuum_yaml(args.get("config"));
  } else {
    const std::string key = spec.prefix + "vacuum.yaml";
    auto body = client->get(key);
    if (!body) throw Error(Errc::not_found, client->endpoint().url(key) + ": no vacuum.yaml (give --config)");
    spec.config = publish::parse_vacuum_yaml(std::string(body->begin(), body->end()), client->endpoint().url(key));
  }
  const auto plan = publish::plan_vacuum(*client, spec);
  const std::string out = args.get("out", "upload-tree");
  auto written = publish::write_vacuum_manifests(plan, spec, out);
  if (args.has("gnupghome") || args.has("secret-key") || args.has("key"))
    for (const auto& m : written)
      publish::sign_detached(out + "/" + m, out + "/" + m + ".gpg",
                             {args.get("gnupghome"), args.get("secret-key"), args.get("key")});
  const bool really = args.has("really-delete");
  if (really) publish::apply_vacuum(*client, plan);

  if (args.has("json")) {
    nlohmann::json j = {{"schema", "chunkbench.vacuum/1"},     {"edition", spec.layout.edition},
                        {"keep", plan.releases.keep},           {"remove", plan.releases.remove},
                        {"delete_objects", plan.delete_keys},   {"delete_bytes", plan.delete_bytes},
                        {"deleted", really},                    {"manifests", written}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("edition %s: keep %zu release(s), %s %zu release(s) (%zu objects, %s)\n", spec.layout.edition.c_str(),
                plan.releases.keep.size(), really ? "deleted" : "would delete", plan.releases.remove.size(),
                plan.delete_keys.size(), human_bytes(plan.delete_bytes).c_str());
    for (const auto& k : plan.releases.keep)
      std::printf("  keep   %s%s\n", k.c_str(), spec.config.is_protected(k) ? " (protected)" : "");
    for (const auto& k : plan.releases.remove) std::printf("  remove %s\n", k.c_str());
    for (const auto& m : written) std::printf("wrote %s/%s\n", out.c_str(), m.c_str());
    if (!really) std::printf("dry run: nothing deleted (--really-delete to delete)\n");
  }
  return 0;
}

}  // namespace chunkbench::cli
