#include <cstdio>

#include <nlohmann/json.hpp>

#include "chunkbench/error.hpp"
#include "chunkbench/publish/upload.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

int run_upload(int argc, char** argv) {
  Args args("upload", "--to s3+https://HOST/BUCKET[/PREFIX] [-n N] [--json] TREE",
            "Uploads an upload tree (see upload-tree) under the given prefix, in the safe order: chunks\n"
            "(only those the bucket lacks), then artefacts, then every SHA256SUMS, then their signatures,\n"
            "each stage complete before the next, so no client sees a manifest whose files are missing.\n"
            "Every object carries its SHA-256 as x-amz-meta-x-kde-sha256 (read by vacuum).");
  args.option("to", 0, "URL", "destination: s3+https://HOST/BUCKET[/PREFIX] (or s3+http://)");
  add_http_options(args);
  args.option("concurrency", 'n', "N", "requests in flight (default 16)");
  args.flag("json", 0, "print JSON on stdout");
  if (!args.parse(argc, argv)) return 0;
  args.expect_positionals({"TREE"});
  if (!args.has("to")) throw Error(Errc::usage, "give the destination with --to");
  auto client = open_s3_client(args.get("to"), args);
  publish::UploadOptions o;
  const bool json = args.has("json");
  o.on_stage = [json](publish::UploadStage s, std::size_t n) {
    if (!json) std::printf("%-10s %zu object(s)\n", publish::upload_stage_name(s), n);
    std::fflush(stdout);
  };
  const auto st = publish::upload_tree(args.positionals()[0], *client, client->endpoint().prefix, o);
  if (json) {
    nlohmann::json j = {{"schema", "chunkbench.upload/1"},
                        {"to", client->endpoint().spec()},
                        {"objects", st.objects},
                        {"bytes", st.bytes},
                        {"chunks_skipped", st.chunks_skipped},
                        {"stages", {{"chunks", st.per_stage[0]}, {"artefacts", st.per_stage[1]},
                                    {"manifest", st.per_stage[2]}, {"signature", st.per_stage[3]}}},
                        {"seconds", st.seconds}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("uploaded %llu objects (%s) to %s in %.2f s; %llu chunk(s) were there already\n",
                (unsigned long long)st.objects, human_bytes(st.bytes).c_str(), client->endpoint().spec().c_str(),
                st.seconds, (unsigned long long)st.chunks_skipped);
  }
  return 0;
}

}  // namespace chunkbench::cli
