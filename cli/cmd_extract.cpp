#include <cstdio>

#include <nlohmann/json.hpp>

#include "chunkbench/assembler.hpp"
#include "chunkbench/make.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

int run_extract(int argc, char** argv) {
  Args args("extract", "-s STORE... [--seed FILE]... [--seed-dir DIR] [-n N] [--in-place] INDEX OUTPUT",
            "Rebuilds the image INDEX describes into OUTPUT: the longest runs of chunks from seeds first\n"
            "(older images, with FILE.caibx beside them or chunked on the fly), the rest from the stores\n"
            "in the order given (a chunk missing from one store is looked for in the next). Every chunk\n"
            "is verified; OUTPUT is written under a temporary name and renamed only when complete.");
  add_store_options(args, true);
  args.option("seed", 0, "FILE", "an image whose chunks may be reused (FILE.caibx, FILE or INDEX:FILE)", true);
  args.option("seed-dir", 0, "DIR", "use every *.caibx under DIR whose image sits beside it as a seed", true);
  args.option("concurrency", 'n', "N", "decode/verify/write threads (default: one per core)");
  args.flag("in-place", 'k', "write into OUTPUT directly, keeping chunks already correct there (resume)");
  args.option("digest", 0, "DIGEST", "require this digest (sha512-256 or sha256); default: the index's flag");
  args.flag("json", 0, "print the statistics as JSON on stdout");
  if (!args.parse(argc, argv)) return 0;
  args.expect_positionals({"INDEX", "OUTPUT"});
  const std::string index_path = args.positionals()[0], output = args.positionals()[1];

  Index target = Index::read(index_path);
  if (auto d = args.maybe("digest")) require_digest(target, parse_digest(*d), index_path);
  const unsigned threads = threads_option(args);
  std::vector<Seed> seeds;
  for (const auto& s : args.all("seed")) seeds.push_back(load_seed(s, target, threads));
  for (const auto& d : args.all("seed-dir"))
    for (auto& s : load_seed_dir(d, target, index_path)) seeds.push_back(std::move(s));
  std::shared_ptr<Store> store;
  if (args.has("store")) store = open_read_stores(args);

  ExtractOptions opt;
  opt.threads = threads;
  opt.in_place = args.has("in-place");
  opt.progress = [](const ExtractProgress& p) {
    status_line(human_bytes(p.bytes_done) + " / " + human_bytes(p.bytes_total) + "  " + std::to_string(p.chunks_done) +
                "/" + std::to_string(p.chunks_total) + " chunks");
  };
  ExtractStats st = extract(target, output, seeds, store.get(), opt);
  end_status_line();

  if (args.has("json")) {
    nlohmann::json j = {{"index", index_path},
                        {"output", output},
                        {"seeds", st.seeds},
                        {"chunks_total", st.chunks_total},
                        {"bytes_total", st.bytes_total},
                        {"chunks_from_seeds", st.chunks_from_seeds},
                        {"bytes_from_seeds", st.bytes_from_seeds},
                        {"chunks_in_place", st.chunks_in_place},
                        {"bytes_in_place", st.bytes_in_place},
                        {"chunks_zero", st.chunks_zero},
                        {"bytes_zero", st.bytes_zero},
                        {"chunks_from_store", st.chunks_from_store},
                        {"bytes_from_store", st.bytes_from_store},
                        {"chunks_fetched", st.chunks_fetched},
                        {"bytes_fetched", st.bytes_fetched},
                        {"seed_chunks_invalid", st.seed_chunks_invalid},
                        {"seconds", st.seconds}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    auto line = [](const char* what, std::uint64_t chunks, std::uint64_t bytes) {
      std::printf("%-16s %10llu chunks  %s\n", what, (unsigned long long)chunks, human_bytes(bytes).c_str());
    };
    line("total", st.chunks_total, st.bytes_total);
    line("from seeds", st.chunks_from_seeds, st.bytes_from_seeds);
    line("in place", st.chunks_in_place, st.bytes_in_place);
    line("zero", st.chunks_zero, st.bytes_zero);
    line("from store", st.chunks_from_store, st.bytes_from_store);
    line("fetched", st.chunks_fetched, st.bytes_fetched);
    if (st.seed_chunks_invalid) std::printf("seed chunks that failed verification: %llu\n", (unsigned long long)st.seed_chunks_invalid);
    std::printf("time             %.3f s, %s\n", st.seconds, human_rate(double(st.bytes_total), st.seconds).c_str());
  }
  return 0;
}

}  // namespace chunkbench::cli
