#include <cstdio>

#include "chunkbench/json_report.hpp"
#include "chunkbench/make.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

int run_make(int argc, char** argv) {
  Args args("make", "[-s STORE] [-m MIN:AVG:MAX] [--digest D] [-n N] INDEX IMAGE",
            "Cuts IMAGE into content-defined chunks exactly as casync does, stores the chunks the store\n"
            "does not have yet (zstd-compressed .cacnk, written atomically) and writes INDEX (.caibx).\n"
            "Without -s only the index is written.");
  args.option("store", 's', "STORE", "chunk store directory to fill (created when missing)");
  args.flag("uncompressed", 'u', "store uncompressed chunks (<id> files, no .cacnk)");
  args.option("chunk-size", 'm', "MIN:AVG:MAX", "chunk sizes in KiB (16:64:256, the default) or with units (1M:2M:4M)");
  args.option("digest", 0, "DIGEST", "sha512-256 (default) or sha256");
  args.option("concurrency", 'n', "N", "hashing/compression threads (default: one per core)");
  args.option("level", 0, "L", "zstd level (default 3, as desync and casync)");
  args.flag("json", 0, "print the statistics as JSON on stdout");
  if (!args.parse(argc, argv)) return 0;
  args.expect_positionals({"INDEX", "IMAGE"});

  MakeOptions opt;
  opt.sizes = parse_chunk_sizes(args.get("chunk-size", "16:64:256"));
  opt.digest = parse_digest(args.get("digest", "sha512-256"));
  opt.threads = threads_option(args);
  opt.zstd_level = static_cast<int>(args.get_int("level", 3, 1, 19));
  opt.progress = [](std::uint64_t done, std::uint64_t total) {
    status_line("chunked " + human_bytes(done) + " of " + human_bytes(total));
  };
  std::shared_ptr<WriteStore> store;
  if (args.has("store")) {
    StoreOptions so = store_options(args);
    so.create = true;
    store = open_write_store(args.get("store"), so);
  }

  MakeStats st;
  make_index_file(args.positionals()[1], args.positionals()[0], store.get(), opt, &st);
  end_status_line();

  if (args.has("json")) {
    std::printf("%s\n", to_json(MakeReport{args.positionals()[0], args.positionals()[1], opt.sizes, opt.digest, st}).c_str());
  } else {
    std::printf("chunks          %llu (%llu unique)\n", (unsigned long long)st.chunks, (unsigned long long)st.unique);
    std::printf("stored          %llu new, %llu already present\n", (unsigned long long)st.stored,
                (unsigned long long)st.already_present);
    std::printf("bytes in        %s\n", human_bytes(st.bytes_in).c_str());
    std::printf("bytes stored    %s\n", human_bytes(st.bytes_stored).c_str());
    std::printf("time            %.3f s, %s\n", st.seconds, human_rate(double(st.bytes_in), st.seconds).c_str());
  }
  return 0;
}

}  // namespace chunkbench::cli
