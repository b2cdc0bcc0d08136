#include <cstdio>

#include <nlohmann/json.hpp>

#include "chunkbench/error.hpp"
#include "chunkbench/verify.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

int run_verify(int argc, char** argv) {
  Args args("verify", "-s STORE [-n N] [-r]",
            "Decodes and hashes every chunk of a local store in parallel and reports the ones whose\n"
            "content does not match their name. Exit status 1 when any is bad.");
  args.option("store", 's', "STORE", "chunk store directory");
  args.flag("uncompressed", 'u', "the store holds uncompressed chunks");
  args.option("digest", 0, "DIGEST", "sha512-256 (default) or sha256");
  args.option("concurrency", 'n', "N", "threads (default: one per core)");
  args.flag("repair", 'r', "remove bad chunks");
  args.flag("json", 0, "print JSON on stdout");
  if (!args.parse(argc, argv)) return 0;
  args.expect_positionals({});
  if (!args.has("store")) throw Error(Errc::usage, "verify: give the store with -s");
  LocalStore store(args.get("store"), !args.has("uncompressed"));
  VerifyResult r = verify_store(store, parse_digest(args.get("digest", "sha512-256")), threads_option(args),
                                args.has("repair"));
  if (args.has("json")) {
    nlohmann::json bad = nlohmann::json::array();
    for (const auto& b : r.bad) bad.push_back({{"path", b.path}, {"reason", b.reason}});
    nlohmann::json j = {{"store", store.name()}, {"checked", r.checked}, {"bytes", r.bytes},
                        {"bad", bad},            {"removed", r.removed}, {"seconds", r.seconds}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const auto& b : r.bad) std::printf("bad: %s\n", b.reason.c_str());
    std::printf("checked %llu chunks (%s) in %.2f s: %zu bad%s\n", (unsigned long long)r.checked,
                human_bytes(r.bytes).c_str(), r.seconds, r.bad.size(),
                r.removed ? (", " + std::to_string(r.removed) + " removed").c_str() : "");
  }
  return r.bad.empty() ? 0 : 1;
}

}  // namespace chunkbench::cli
