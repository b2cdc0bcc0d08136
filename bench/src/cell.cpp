#include "chunkbench/bench/cell.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "chunkbench/chunker.hpp"
#include "chunkbench/error.hpp"

namespace chunkbench::bench {
namespace {

std::string chunk_label(const std::string& chunk) {
  ChunkSizes c = parse_chunk_sizes(chunk);
  const auto kib = [](std::uint64_t b) { return std::to_string(b / 1024); };
  if (c.min * 4 == c.avg && c.avg * 4 == c.max) return kib(c.avg) + "k";
  return kib(c.min) + "-" + kib(c.avg) + "-" + kib(c.max) + "k";
}

std::string safe(std::string s) {
  for (auto& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-') ch = '_';
  return s;
}

}  // namespace

std::string cell_id(const Cell& c) {
  return c.case_ + "-" + chunk_label(c.chunk) + "-" + (c.protocol == "1.1" ? "h1" : "h2") + "-n" + std::to_string(c.in_flight) +
         "-c" + std::to_string(c.connections) + "-s" + std::to_string(c.streams) + "-" + c.mode + "-" + safe(c.scenario) + "-" +
         c.tool;
}

std::vector<Cell> enumerate_cells(const Matrix& m) {
  std::vector<Cell> out;
  const int widest = *std::max_element(m.in_flight.begin(), m.in_flight.end());
  for (const auto& scenario : m.scenarios)
    for (const auto& kase : m.cases)
      for (const auto& chunk : m.chunks) {
        Cell base;
        base.case_ = kase;
        base.chunk = chunk;
        base.scenario = scenario;
        for (const auto& proto : m.protocols)
          for (int n : m.in_flight)
            for (int conns : m.connections)
              for (int streams : m.streams)
                for (const auto& mode : m.modes) {
                  Cell c = base;
                  c.protocol = proto;
                  c.in_flight = n;
                  c.connections = conns;
                  c.streams = streams;
                  c.mode = mode;
                  out.push_back(c);
                }
        if (!m.peers) continue;
        Cell cas = base;
        cas.tool = "casync";
        cas.protocol = "1.1";
        cas.in_flight = 1;
        out.push_back(cas);
        for (const auto& proto : m.protocols) {
          Cell bare = base;
          bare.tool = "bare";
          bare.protocol = proto;
          bare.in_flight = widest > 0 ? widest : 32;
          out.push_back(bare);
        }
      }
  std::set<std::string> ids;
  for (const auto& c : out)
    if (!ids.insert(cell_id(c)).second)
      throw Error(Errc::invalid_input, m.source + ": two cells share the id " + cell_id(c) + " (scenario names that differ only in punctuation?)");
  return out;
}

Shard parse_shard(const std::string& text) {
  Shard s;
  const auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    std::size_t a = 0, b = 0;
    s.index = std::stoi(text.substr(0, slash), &a);
    s.count = std::stoi(text.substr(slash + 1), &b);
    if (a != slash || b != text.size() - slash - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw Error(Errc::usage, "--shard: expected I/N such as 2/4, got '" + text + "'");
  }
  if (s.count < 1 || s.index < 1 || s.index > s.count)
    throw Error(Errc::usage, "--shard " + text + ": need 1 <= I <= N");
  return s;
}

std::vector<Cell> shard_cells(const std::vector<Cell>& cells, Shard s) {
  std::map<std::string, std::size_t> groups;
  std::vector<Cell> out;
  for (const auto& c : cells) {
    const auto g = groups.emplace(c.scenario + "\n" + c.case_ + "\n" + c.chunk, groups.size()).first->second;
    if (static_cast<int>(g % static_cast<std::size_t>(s.count)) + 1 == s.index) out.push_back(c);
  }
  return out;
}

}  // namespace chunkbench::bench
