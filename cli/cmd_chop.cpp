#include <cstdio>

#include <nlohmann/json.hpp>

#include "chunkbench/error.hpp"
#include "chunkbench/publish/chop.hpp"
#include "commands.hpp"
#include "common.hpp"

namespace chunkbench::cli {

int run_chop(int argc, char** argv) {
  Args args("chop", "-s STORE [-n N] [--json] INDEX IMAGE",
            "Uploads the chunks of INDEX that STORE lacks, cut from IMAGE (desync chop). Whether the store\n"
            "has a chunk is learnt from one listing or from one HEAD per chunk, whichever needs fewer\n"
            "round trips (for S3 the listing's size is estimated from its first page); the decision is\n"
            "printed. Every chunk is hashed against its id before it is sent. STORE: a directory or\n"
            "s3+https://HOST/BUCKET/PREFIX (credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
            "AWS_SESSION_TOKEN, AWS_REGION, or ~/.aws/credentials with AWS_PROFILE).");
  add_store_options(args, false);
  add_http_options(args);
  args.option("concurrency", 'n', "N", "requests in flight (default 64)");
  args.option("threads", 0, "N", "hashing and compressing threads (default: one per core)");
  args.flag("json", 0, "print JSON on stdout");
  if (!args.parse(argc, argv)) return 0;
  args.expect_positionals({"INDEX", "IMAGE"});
  if (!args.has("store")) throw Error(Errc::usage, "give the store with -s");
  StoreOptions so = store_options(args);
  so.create = true;
  so.http.in_flight = static_cast<unsigned>(args.get_int("concurrency", 64, 1, 4096));
  auto store = open_write_store(args.get("store"), so);
  const std::string index_path = args.positionals()[0], image = args.positionals()[1];
  publish::ChopOptions o;
  o.threads = static_cast<unsigned>(args.get_int("threads", 0, 0, 1024));
  o.window = so.http.in_flight;
  o.progress = [](std::uint64_t done, std::uint64_t total) {
    status_line("chop: " + human_bytes(done) + " of " + human_bytes(total) + " uploaded");
  };
  const auto st = publish::chop(Index::read(index_path), image, *store, o);
  end_status_line();

  if (args.has("json")) {
    nlohmann::json j = {{"schema", "chunkbench.chop/1"},
                        {"store", store->name()},
                        {"index", index_path},
                        {"chunks", st.chunks},
                        {"unique", st.unique},
                        {"uploaded", st.uploaded},
                        {"uploaded_bytes", st.uploaded_bytes},
                        {"uploaded_stored_bytes", st.uploaded_stored_bytes},
                        {"reused", st.reused},
                        {"reused_bytes", st.reused_bytes},
                        {"presence", {{"method", st.presence.use_listing ? "listing" : "head"},
                                      {"estimated_objects", st.presence.estimated_objects},
                                      {"listing_requests", st.presence.listing_requests},
                                      {"head_requests", st.presence.head_requests},
                                      {"reason", st.presence.reason}}},
                        {"seconds", st.seconds}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("presence check: %s (%s)\n", st.presence.use_listing ? "listing" : "HEAD per chunk",
                st.presence.reason.c_str());
    std::printf("%llu chunks, %llu unique: uploaded %llu (%s, %s stored), reused %llu (%s) in %.2f s, %s\n",
                (unsigned long long)st.chunks, (unsigned long long)st.unique, (unsigned long long)st.uploaded,
                human_bytes(st.uploaded_bytes).c_str(), human_bytes(st.uploaded_stored_bytes).c_str(),
                (unsigned long long)st.reused, human_bytes(st.reused_bytes).c_str(), st.seconds,
                human_rate(static_cast<double>(st.uploaded_stored_bytes), st.seconds).c_str());
  }
  return 0;
}

}  // namespace chunkbench::cli
