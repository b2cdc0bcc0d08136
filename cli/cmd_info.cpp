#include <cstdio>

#include "chunkbench/error.hpp"
#include "chunkbench/info.hpp"
#include "chunkbench/json_report.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

namespace {

int compare(const Args& args) {
  if (args.positionals().size() != 2)
    throw Error(Errc::usage, "info --compare: expected two indexes, FROM.caibx TO.caibx");
  Index a = Index::read(args.positionals()[0]);
  Index b = Index::read(args.positionals()[1]);
  if (a.digest() != b.digest())
    throw Error(Errc::usage, "info --compare: " + args.positionals()[0] + " and " + args.positionals()[1] +
                                 " use different digests; no chunk can be shared");
  CompareInfo c = compare_indexes(a, b);
  if (args.has("json")) {
    std::printf("%s\n", to_json(CompareReport{args.positionals()[0], args.positionals()[1], c}).c_str());
    return 0;
  }
  std::printf("update %s -> %s\n", args.positionals()[0].c_str(), args.positionals()[1].c_str());
  std::printf("target           %llu chunks (%llu unique), %s\n", (unsigned long long)c.to_chunks,
              (unsigned long long)c.to_unique, human_bytes(c.to_bytes).c_str());
  std::printf("already held     %llu chunks, %s\n", (unsigned long long)c.shared_unique, human_bytes(c.shared_bytes).c_str());
  std::printf("to download      %llu chunks, %s (%.1f%% of the image)\n", (unsigned long long)c.new_unique,
              human_bytes(c.new_bytes).c_str(), c.to_bytes ? 100.0 * double(c.new_bytes) / double(c.to_bytes) : 0.0);
  std::printf("no longer used   %llu chunks, %s\n", (unsigned long long)c.removed_unique, human_bytes(c.removed_bytes).c_str());
  return 0;
}

}  // namespace

int run_info(int argc, char** argv) {
  Args args("info", "INDEX [-s STORE]... [--seed FILE]...  |  info --compare FROM.caibx TO.caibx",
            "Shows what an index holds: chunk count and size distribution, unique chunks and dedup,\n"
            "and, given seeds or stores, how much of it they already cover. With --compare, what an\n"
            "update from FROM to TO must download.");
  add_store_options(args, true);
  add_http_options(args);
  args.option("seed", 0, "FILE", "a seed image (FILE.caibx beside it, or chunked on the fly)", true);
  args.flag("compare", 0, "compare two indexes");
  args.option("concurrency", 'n', "N", "threads for chunking seeds without an index");
  args.flag("json", 0, "print JSON on stdout");
  if (!args.parse(argc, argv)) return 0;
  if (args.has("compare")) return compare(args);
  args.expect_positionals({"INDEX"});
  const std::string path = args.positionals()[0];
  Index idx = Index::read(path);
  std::vector<Seed> seeds;
  for (const auto& s : args.all("seed")) seeds.push_back(load_seed(s, idx, threads_option(args)));
  std::shared_ptr<Store> store;
  if (args.has("store")) {
    StoreOptions so = store_options(args);
    store = open_stores(args.all("store"), so);
  }
  IndexInfo in = index_info(idx, seeds, store.get());

  if (args.has("json")) {
    std::printf("%s\n", to_json(InfoReport{path, &idx, in, !seeds.empty(), store != nullptr}).c_str());
    return 0;
  }
  std::printf("index            %s\n", path.c_str());
  std::printf("digest           %s\n", digest_name(idx.digest()));
  std::printf("chunk sizes      %s (min:avg:max)\n", idx.sizes.str().c_str());
  std::printf("image size       %s\n", human_bytes(in.bytes).c_str());
  std::printf("chunks           %llu (%llu unique, %llu at max size)\n", (unsigned long long)in.chunks,
              (unsigned long long)in.unique, (unsigned long long)in.chunks_at_max);
  std::printf("dedup size       %s (%.1f%% of the image)\n", human_bytes(in.bytes_unique).c_str(),
              in.bytes ? 100.0 * double(in.bytes_unique) / double(in.bytes) : 0.0);
  std::printf("actual sizes     min %s, mean %s, max %s\n", human_bytes(in.size_min).c_str(),
              human_bytes(static_cast<std::uint64_t>(in.size_mean)).c_str(), human_bytes(in.size_max).c_str());
  std::printf("size histogram:\n");
  for (auto [b, n] : in.histogram)
    std::printf("  <= %-12s %8llu  %5.1f%%\n", human_bytes(b).c_str(), (unsigned long long)n,
                in.chunks ? 100.0 * double(n) / double(in.chunks) : 0.0);
  if (!seeds.empty())
    std::printf("in seeds         %llu unique chunks, %s\n", (unsigned long long)in.in_seeds, human_bytes(in.bytes_in_seeds).c_str());
  if (store)
    std::printf("in store         %llu unique chunks, %s\n", (unsigned long long)in.in_store, human_bytes(in.bytes_in_store).c_str());
  if (store || !seeds.empty())
    std::printf("missing          %llu unique chunks, %s\n", (unsigned long long)in.missing, human_bytes(in.bytes_missing).c_str());
  return 0;
}

}  // namespace chunkbench::cli
