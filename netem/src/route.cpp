// The scenario's route attributes in the server namespace (initcwnd, initrwnd), set on the route to
// the client's subnet that the link backend's address created, whichever backend it was.
#include <sstream>

#include "chunkbench/error.hpp"
#include "chunkbench/netem/process.hpp"
#include "chunkbench/netem/topology.hpp"
#include "link_backends.hpp"

namespace chunkbench::netem {
namespace {

std::string link_subnet() {
  std::string a = Topology::kServerAddr;
  return a.substr(0, a.rfind('.')) + ".0/" + std::to_string(Topology::kPrefixLen);
}

}  // namespace

std::string route_table(const std::string& ns) {
  std::string out = run_checked({"ip", "-n", ns, "-o", "route", "show"});
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

void apply_server_route(const Topology& t) {
  const ServerRoute& r = t.scenario().server;
  if (!r.initcwnd && !r.initrwnd) return;
  const std::string subnet = link_subnet();
  std::istringstream lines(route_table(t.server_ns()));
  std::string line;
  while (std::getline(lines, line) && line.rfind(subnet + " ", 0) != 0) {
  }
  if (line.rfind(subnet + " ", 0) != 0)
    throw Error(Errc::io, "server.initcwnd: no route to " + subnet + " in " + t.server_ns() + " to set it on");
  // The route as listed is the route's own specification, minus state flags `ip route` cannot take.
  std::vector<std::string> argv = {"ip", "-n", t.server_ns(), "route", "change"};
  std::istringstream words(line);
  for (std::string w; words >> w;) {
    if (w == "initcwnd" || w == "initrwnd") {
      words >> w;
      continue;
    }
    if (w != "linkdown" && w != "dead") argv.push_back(w);
  }
  if (r.initcwnd) argv.insert(argv.end(), {"initcwnd", std::to_string(*r.initcwnd)});
  if (r.initrwnd) argv.insert(argv.end(), {"initrwnd", std::to_string(*r.initrwnd)});
  run_checked(argv);
}

}  // namespace chunkbench::netem
