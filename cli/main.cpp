#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "chunkbench/error.hpp"
#include "commands.hpp"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

// One line per subcommand; the help text of each lives beside its implementation.
const Command kCommands[] = {
    {"make", chunkbench::cli::run_make, "chunk an image into a store and write its index (.caibx)"},
    {"extract", chunkbench::cli::run_extract, "rebuild an image from an index, seeds and stores"},
    {"info", chunkbench::cli::run_info, "show an index's chunks, dedup, and what seeds/stores cover"},
    {"verify", chunkbench::cli::run_verify, "check every chunk of a local store"},
    {"testimage", chunkbench::cli::run_testimage, "generate deterministic test images (v1 and next version)"},
    {"serve", chunkbench::cli::run_serve, "serve a directory over HTTPS, h2 and HTTP/1.1 (chunk stores, images)"},
    {"netem", chunkbench::cli::run_netem, "run a command under a network scenario (delay, rate, loss) in namespaces"},
    {"bench", chunkbench::cli::run_bench, "run a benchmark matrix (file or --preset quick|seed) with peers, resumable"},
    {"report", chunkbench::cli::run_report, "HTML/Markdown/CSV/JUnit reports of bench runs; merge shards; compare runs"},
    {"chop", chunkbench::cli::run_chop, "upload the chunks of an index that a store (directory or s3+https://) lacks"},
    {"upload-tree", chunkbench::cli::run_upload_tree, "compose a release's upload tree: bucket layout, SHA256SUMS(.gpg), torrent"},
    {"upload", chunkbench::cli::run_upload, "upload a tree to S3: chunks, artefacts, SHA256SUMS, signature last"},
    {"vacuum", chunkbench::cli::run_vacuum, "keep the newest 4 + protected releases of an edition, rebuild SHA256SUMS"},
    {"prune", chunkbench::cli::run_prune, "delete store chunks no index references (grace period, sanity floor)"},
    {"update", chunkbench::cli::run_update, "update an image as systemd-sysupdate does: signed SHA256SUMS, seed, verify"},
};

void usage(FILE* out) {
  std::fprintf(out, "usage: chunkbench COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
  std::fprintf(out, "\n'chunkbench COMMAND --help' describes a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("chunkbench 0.1.0\n");
    return 0;
  }
  for (const auto& c : kCommands) {
    if (std::strcmp(argv[1], c.name) != 0) continue;
    try {
      return c.run(argc, argv);
    } catch (const chunkbench::Error& e) {
      std::fprintf(stderr, "chunkbench %s: error: %s\n", c.name, e.what());
      return e.code() == chunkbench::Errc::usage ? 2 : 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "chunkbench %s: error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "chunkbench: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
