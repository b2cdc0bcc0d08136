#include <cstdio>

#include <nlohmann/json.hpp>

#include "chunkbench/error.hpp"
#include "chunkbench/publish/prune.hpp"
#include "chunkbench/s3_store.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

int run_prune(int argc, char** argv) {
  Args args("prune", "--bucket s3+https://HOST/BUCKET[/PREFIX] [--store-dir sysupdate/store] [--really-delete]",
            "Garbage-collects the shared chunk store PREFIX/sysupdate/store/ against the .caibx of every\n"
            "edition directory of the bucket, of --staging prefixes (staged publishes) and of --index files\n"
            "(publishes in flight). A chunk goes only when no index references it and it is older than\n"
            "--grace (default 24h). Fewer indexes than --min-indexes (default 2) means a broken listing:\n"
            "refused. Dry run unless --really-delete; reports what it would free.");
  args.option("bucket", 0, "URL", "s3+https://HOST/BUCKET[/PREFIX] holding the edition directories and the store");
  args.option("store-dir", 0, "PATH", "chunk store below PREFIX (default sysupdate/store)");
  args.option("staging", 0, "PREFIX", "bucket-relative prefix of a staged publish whose indexes count too", true);
  args.option("index", 0, "FILE", "index file of a publish in flight", true);
  args.option("grace", 0, "DURATION", "never delete chunks younger than this (default 24h)");
  args.option("min-indexes", 0, "N", "sanity floor of indexes found (default 2)");
  args.flag("really-delete", 0, "delete (default: only report)");
  add_http_options(args);
  args.option("concurrency", 'n', "N", "requests in flight (default 16)");
  args.flag("json", 0, "print JSON on stdout");
  if (!args.parse(argc, argv)) return 0;
  args.expect_positionals({});
  if (!args.has("bucket")) throw Error(Errc::usage, "give --bucket");
  auto client = open_s3_client(args.get("bucket"), args);
  const std::string store_dir = args.get("store-dir", "sysupdate/store");
  S3Store store(client->at(client->endpoint().prefix + store_dir));

  publish::PruneSpec spec;
  spec.edition_root = client->endpoint().prefix;
  spec.skip_dirs = {store_dir.substr(0, store_dir.find('/') + 1)};
  spec.extra_prefixes = args.all("staging");
  spec.local_indexes = args.all("index");
  spec.grace_seconds = static_cast<std::int64_t>(duration_option(args, "grace", 86400));
  spec.min_indexes = static_cast<std::size_t>(args.get_int("min-indexes", 2, 1, 1000000));
  spec.really_delete = args.has("really-delete");
  const auto r = publish::prune_store(*client, store, spec);

  if (args.has("json")) {
    nlohmann::json j = {{"schema", "chunkbench.prune/1"}, {"store", store.name()},         {"indexes", r.indexes},
                        {"referenced", r.referenced},      {"stored", r.stored},            {"stored_bytes", r.stored_bytes},
                        {"young", r.young},                {"garbage", r.garbage},          {"garbage_bytes", r.garbage_bytes},
                        {"deleted", r.deleted}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("marked from %zu index(es): %llu chunks referenced; store holds %llu (%s)\n", r.indexes.size(),
                (unsigned long long)r.referenced, (unsigned long long)r.stored, human_bytes(r.stored_bytes).c_str());
    std::printf("%s %llu unreferenced chunk(s) (%s); %llu unreferenced but younger than the grace period kept\n",
                r.deleted ? "deleted" : "would delete", (unsigned long long)r.garbage, human_bytes(r.garbage_bytes).c_str(),
                (unsigned long long)r.young);
    if (!r.deleted) std::printf("dry run: nothing deleted (--really-delete to delete)\n");
  }
  return 0;
}

}  // namespace chunkbench::cli
