#include <cstdio>

#include "chunkbench/error.hpp"
#include "chunkbench/json_report.hpp"
#include "chunkbench/verify.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

int run_verify(int argc, char** argv) {
  Args args("verify", "-s STORE [-n N] [-r]",
            "Decodes and hashes every chunk of a store that can list itself (a directory) in parallel and\n"
            "reports the ones whose content does not match their name. Exit status 1 when any is bad.");
  args.option("store", 's', "STORE", "chunk store directory");
  args.flag("uncompressed", 'u', "the store holds uncompressed chunks");
  args.option("digest", 0, "DIGEST", "sha512-256 or sha256 (default: found from a sample of the store;\n                              "
                                   "chunks named by either digest are good)");
  args.option("concurrency", 'n', "N", "threads (default: one per core)");
  args.flag("repair", 'r', "remove bad chunks");
  args.flag("json", 0, "print JSON on stdout");
  if (!args.parse(argc, argv)) return 0;
  args.expect_positionals({});
  if (!args.has("store")) throw Error(Errc::usage, "give the store with -s");
  StoreOptions so = store_options(args);
  auto store = open_list_store(args.get("store"), so);
  VerifyOptions vo;
  if (auto d = args.maybe("digest")) vo.digest = parse_digest(*d);
  vo.threads = threads_option(args);
  vo.repair = args.has("repair");
  VerifyResult r = verify_store(*store, vo);
  if (args.has("json")) {
    std::printf("%s\n", to_json(VerifyReport{store->name(), r}).c_str());
  } else {
    for (const auto& b : r.bad) std::printf("bad: %s\n", b.reason.c_str());
    std::printf("checked %llu chunks (%s, %s%s) in %.2f s: %zu bad%s\n", (unsigned long long)r.checked,
                human_bytes(r.bytes).c_str(), digest_name(r.digest),
                r.other_digest ? (", " + std::to_string(r.other_digest) + " by the other digest").c_str() : "", r.seconds, r.bad.size(),
                r.removed ? (", " + std::to_string(r.removed) + " removed").c_str() : "");
  }
  return r.bad.empty() ? 0 : 1;
}

}  // namespace chunkbench::cli
