// A remote extract as a library call: rebuild an image from a chunk store served over HTTP/2
// (e.g. by `chunkbench serve`), opened from its URL, and print the run's statistics as JSON.
//
//   remote_extract STORE_URL CA_FILE INDEX OUTPUT [SEED]
//
// Everything a run decides (the window from the chunk size, one shared connection pool for the
// store, verification, the temporary output renamed only when complete) happens inside
// chunkbench::extract; the program only says what it wants.
#include <chunkbench/error.hpp>
#include <chunkbench/extract.hpp>
#include <chunkbench/json_report.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: %s STORE_URL CA_FILE INDEX OUTPUT [SEED]\n", argv[0]);
    return 2;
  }
  chunkbench::ExtractRequest request;
  request.stores = {argv[1]};              // any open_store spec: a directory, https://..., a|b
  request.http.ca_file = argv[2];          // trust the server's CA; verification stays on
  request.http.version = chunkbench::HttpOptions::Version::http2;  // and fail unless h2 is spoken
  request.index_path = argv[3];
  request.output = argv[4];
  if (argc == 6) request.seeds = {argv[5]};  // an older image whose chunks need no download
  try {
    chunkbench::ExtractReport report = chunkbench::extract(request);
    std::printf("%s\n", chunkbench::to_json(report).c_str());
    std::fprintf(stderr, "%llu of %llu chunks fetched in %llu requests over HTTP/%s, %.3f s\n",
                 static_cast<unsigned long long>(report.stats.chunks_fetched),
                 static_cast<unsigned long long>(report.stats.chunks_total),
                 static_cast<unsigned long long>(report.network.requests), report.protocol.c_str(),
                 report.wall_seconds);
    return 0;
  } catch (const chunkbench::Error& e) {
    std::fprintf(stderr, "remote_extract: error: %s\n", e.what());
    return 1;
  }
}
