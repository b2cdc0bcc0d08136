// A scenario run as a library call: two network namespaces joined by an emulated link with 50 ms
// RTT, `chunkbench serve` in the server namespace, and an in-process remote extract as the client
// (a function run in a forked child inside the client namespace). Prints the RTT the client
// measured (one TCP connect) and the extract's figures. Needs root (namespaces); exit 77 otherwise.
//
//   CHUNKBENCH_BIN=chunkbench CHUNKBENCH_ROOT=DIR scenario_extract IGNORED CA_FILE INDEX OUTPUT SEED
//
// DIR is served and must hold the chunk store in DIR/store; CA_FILE is ignored (the run makes its
// own CA), as is the first argument: the store's URL is the server namespace's address.
#include <chunkbench/extract.hpp>
#include <chunkbench/json_report.hpp>
#include <chunkbench/netem/run.hpp>
#include <chunkbench/netem/topology.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

// One TCP handshake to the server: SYN out, SYN-ACK back, so about one round trip.
double connect_rtt(const std::string& addr, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  close(fd);
  return rc == 0 ? s : -1;
}

}  // namespace

int main(int argc, char** argv) {
  const char* bin = std::getenv("CHUNKBENCH_BIN");
  const char* root = std::getenv("CHUNKBENCH_ROOT");
  if (argc != 6 || !bin || !root) {
    std::fprintf(stderr, "usage: CHUNKBENCH_BIN=B CHUNKBENCH_ROOT=DIR %s URL CA INDEX OUTPUT SEED\n", argv[0]);
    return 2;
  }
  if (geteuid() != 0) {
    std::printf("skipped: network namespaces need root\n");
    return 77;
  }
  const std::string ca = std::string(root) + "/../scenario-ca.pem", index = argv[3], output = argv[4], seed = argv[5];
  const int port = 8443;
  namespace netem = chunkbench::netem;
  netem::RunSpec spec;
  spec.scenario = netem::scenario_from_json({{"name", "example-50ms"}, {"delay", "25ms"}}, "example");
  spec.server_command = {bin, "serve", "--root", root, "--listen", std::string(netem::Topology::kServerAddr) + ":" + std::to_string(port),
                         "--ca-out", ca, "--quiet"};
  spec.wait_port = port;
  spec.client_function = [&](const netem::RunContext& ctx) {
    const double rtt = connect_rtt(ctx.server_addr, port);
    chunkbench::ExtractRequest request;
    request.stores = {"https://" + ctx.server_addr + ":" + std::to_string(port) + "/store/"};
    request.http.ca_file = ca;
    request.index_path = index;
    request.output = output;
    request.seeds = {seed};
    const chunkbench::ExtractReport report = chunkbench::extract(request);
    char line[256];
    std::snprintf(line, sizeof line, "measured RTT %.1f ms; %llu of %llu chunks fetched, %llu requests over HTTP/%s in %.3f s\n",
                  rtt * 1e3, static_cast<unsigned long long>(report.stats.chunks_fetched),
                  static_cast<unsigned long long>(report.stats.chunks_total),
                  static_cast<unsigned long long>(report.network.requests), report.protocol.c_str(), report.wall_seconds);
    return line + chunkbench::to_json(report);
  };
  const netem::RunResult result = netem::run(spec);
  std::printf("link: %s (backend %s)\n%s\n", result.scenario.describe().c_str(), netem::backend_name(result.backend),
              result.client_result.c_str());
  if (!result.ok()) std::fprintf(stderr, "scenario_extract: %s%s\n", result.failure.c_str(), result.client_error.c_str());
  return result.ok() ? 0 : 1;
}
