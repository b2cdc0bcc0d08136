#include "chunkbench/bench/matrix.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "chunkbench/chunker.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/netem/scenario.hpp"

namespace chunkbench::bench {
namespace {

namespace fs = std::filesystem;

// Errors inside the parser carry only the field path; matrix_from_json prefixes the source.
[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw Error(Errc::invalid_input, field + ": " + what);
}

void check_keys(const nlohmann::json& j, const std::string& where, const std::vector<std::string>& allowed) {
  if (!j.is_object()) bad(where.empty() ? "(top level)" : where, "must be an object, got " + j.dump());
  for (const auto& [k, v] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    bad(where.empty() ? k : where + "." + k, "unknown field (known: " + list + ")");
  }
}

// A value given as a string or a number, as text ("2", "1.1", "50mbit").
std::string as_text(const nlohmann::json& v, const std::string& field) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number_float()) {
    std::string s = v.dump();
    return s;
  }
  bad(field, "must be a string or a number, got " + v.dump());
}

int as_int(const nlohmann::json& v, const std::string& field, int lo, int hi) {
  if (!v.is_number_integer()) bad(field, "must be an integer, got " + v.dump());
  const long long x = v.get<long long>();
  if (x < lo || x > hi) bad(field, std::to_string(x) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
  return static_cast<int>(x);
}

// Reads axis `name` (an array, or absent: `fallback`), converting each element with `conv`, which
// gets the element and its field path ("axes.protocol[1]"); duplicates are an error.
template <class T, class Conv>
std::vector<T> axis(const nlohmann::json& axes, const std::string& name, std::vector<T> fallback, Conv conv) {
  const std::string field = "axes." + name;
  if (!axes.contains(name)) {
    if (fallback.empty()) bad(field, "is required");
    return fallback;
  }
  const auto& a = axes[name];
  if (!a.is_array() || a.empty()) bad(field, "must be a non-empty array, got " + a.dump());
  std::vector<T> out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string f = field + "[" + std::to_string(i) + "]";
    T v = conv(a[i], f);
    if (std::find(out.begin(), out.end(), v) != out.end()) bad(f, "duplicate value " + a[i].dump());
    out.push_back(std::move(v));
  }
  return out;
}

std::string one_of(const nlohmann::json& v, const std::string& field, const std::vector<std::string>& allowed) {
  const std::string s = as_text(v, field);
  if (std::find(allowed.begin(), allowed.end(), s) != allowed.end()) return s;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  bad(field, "\"" + s + "\" is not one of " + list);
}

std::string chunk_value(const nlohmann::json& v, const std::string& field) {
  const std::string s = as_text(v, field);
  try {
    ChunkSizes c = parse_chunk_sizes(s);
    validate_chunk_sizes(c, field);
    if (c.min % 1024 || c.avg % 1024 || c.max % 1024) bad(field, "\"" + s + "\" must be whole KiB");
    return std::to_string(c.min / 1024) + ":" + std::to_string(c.avg / 1024) + ":" + std::to_string(c.max / 1024);
  } catch (const Error& e) {
    if (std::string(e.what()).rfind(field, 0) == 0) throw;
    bad(field, "\"" + s + "\": " + e.what());
  }
}

// A scenario entry: "none", a netem preset, a JSON file (relative to the matrix), or an inline
// object with a "name". Returns (name, validated scenario JSON).
std::pair<std::string, nlohmann::json> scenario_value(const nlohmann::json& v, const std::string& field, const std::string& base_dir) {
  try {
    if (v.is_object()) {
      if (!v.contains("name") || !v["name"].is_string()) bad(field + ".name", "an inline scenario needs a name");
      auto s = netem::scenario_from_json(v, field);
      return {s.name, s.to_json()};
    }
    const std::string ref = as_text(v, field);
    if (ref == "none") return {"none", nlohmann::json{{"name", "none"}}};
    if (netem::is_preset(ref)) return {ref, netem::load_scenario(ref).to_json()};
    fs::path p(ref);
    if (p.is_relative() && !base_dir.empty()) p = fs::path(base_dir) / p;
    if (!fs::exists(p)) bad(field, "\"" + ref + "\" is neither none, a netem preset nor an existing file");
    auto s = netem::load_scenario(p.string());
    return {p.stem().string(), s.to_json()};
  } catch (const Error& e) {
    if (std::string(e.what()).rfind(field, 0) == 0) throw;
    bad(field, e.what());
  }
}

ImageSpec image_value(const nlohmann::json& j) {
  check_keys(j, "image", {"kind", "size", "change", "seed"});
  ImageSpec im;
  if (j.contains("kind")) im.kind = one_of(j["kind"], "image.kind", {"tar", "erofs", "synthetic"});
  try {
    if (j.contains("size")) im.size = netem::parse_bytes(as_text(j["size"], "image.size"), "image.size");
    if (j.contains("change")) im.change = netem::parse_fraction(as_text(j["change"], "image.change"), "image.change");
  } catch (const Error& e) {
    if (std::string(e.what()).rfind("image.", 0) == 0) throw;
    bad("image", e.what());
  }
  if (im.size < (1u << 20) || im.size > (64ull << 30)) bad("image.size", std::to_string(im.size) + " bytes is outside 1 MiB..64 GiB");
  if (!(im.change > 0 && im.change < 1)) bad("image.change", "must be a share in (0, 1), e.g. \"5%\"");
  if (j.contains("seed")) im.seed = static_cast<std::uint64_t>(as_int(j["seed"], "image.seed", 0, 1 << 30));
  return im;
}

Matrix parse(const nlohmann::json& j, const std::string& source, const std::string& base_dir) {
  check_keys(j, "", {"schema", "name", "image", "axes", "repetitions", "cell_timeout", "peers"});
  if (!j.contains("schema")) bad("schema", std::string("is required (\"") + kMatrixSchema + "\")");
  if (j["schema"] != kMatrixSchema) bad("schema", j["schema"].dump() + " is not \"" + kMatrixSchema + "\"");
  Matrix m;
  m.source = source;
  m.name = fs::path(source).stem().string();
  if (j.contains("name")) {
    m.name = as_text(j["name"], "name");
    if (m.name.empty() || m.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos)
      bad("name", "\"" + m.name + "\" must be letters, digits, '.', '_' or '-'");
  }
  if (j.contains("image")) m.image = image_value(j["image"]);
  if (!j.contains("axes")) bad("axes", "is required");
  const auto& ax = j["axes"];
  check_keys(ax, "axes", {"case", "chunk", "protocol", "in_flight", "connections", "streams", "mode", "scenario"});
  using S = std::vector<std::string>;
  m.cases = axis<std::string>(ax, "case", S{"full"}, [](auto& v, auto& f) { return one_of(v, f, {"full", "update"}); });
  m.chunks = axis<std::string>(ax, "chunk", S{}, chunk_value);
  m.protocols = axis<std::string>(ax, "protocol", S{"2"}, [](auto& v, auto& f) { return one_of(v, f, {"1.1", "2"}); });
  auto count = [](int hi) { return [hi](const nlohmann::json& v, const std::string& f) { return as_int(v, f, 0, hi); }; };
  m.in_flight = axis<int>(ax, "in_flight", {0}, count(4096));
  m.connections = axis<int>(ax, "connections", {0}, count(256));
  m.streams = axis<int>(ax, "streams", {0}, count(4096));
  m.modes = axis<std::string>(ax, "mode", S{"store"}, [](auto& v, auto& f) { return one_of(v, f, {"store", "range", "auto"}); });
  auto scen = axis<std::pair<std::string, nlohmann::json>>(
      ax, "scenario", {{"none", nlohmann::json{{"name", "none"}}}},
      [&](const nlohmann::json& v, const std::string& f) { return scenario_value(v, f, base_dir); });
  for (std::size_t i = 0; i < scen.size(); ++i) {
    if (m.scenario_defs.count(scen[i].first))
      bad("axes.scenario[" + std::to_string(i) + "]", "a second scenario named \"" + scen[i].first + "\"");
    m.scenarios.push_back(scen[i].first);
    m.scenario_defs[scen[i].first] = scen[i].second;
  }
  if (j.contains("repetitions")) m.repetitions = as_int(j["repetitions"], "repetitions", 1, 1000);
  if (j.contains("cell_timeout")) {
    const auto& t = j["cell_timeout"];
    double s = t.is_number() ? t.get<double>() : static_cast<double>(netem::parse_duration_ns(as_text(t, "cell_timeout"), "cell_timeout")) / 1e9;
    if (!(s >= 1 && s <= 86400)) bad("cell_timeout", "must be between 1 s and 24 h, got " + t.dump());
    m.cell_timeout_seconds = s;
  }
  if (j.contains("peers")) {
    if (!j["peers"].is_boolean()) bad("peers", "must be true or false, got " + j["peers"].dump());
    m.peers = j["peers"].get<bool>();
  }
  return m;
}

// The presets are matrix documents, so they go through the one parser.
const char* kSeedPreset = R"({
  "schema": "chunkbench.matrix/1", "name": "seed",
  "image": {"kind": "tar", "size": "128MiB", "change": "5%", "seed": 1},
  "axes": {"case": ["full", "update"], "chunk": ["32:64:128", "1024:2048:4096"], "protocol": ["1.1", "2"],
           "in_flight": [1, 4, 32], "scenario": ["none", "seed-delay", "seed-bandwidth", "seed-both"]},
  "repetitions": 1, "cell_timeout": "900s", "peers": true
})";

// Tuned to finish in about five minutes on two shared cores (see the bench README section).
const char* kQuickPreset = R"({
  "schema": "chunkbench.matrix/1", "name": "quick",
  "image": {"kind": "tar", "size": "32MiB", "change": "5%", "seed": 1},
  "axes": {"case": ["full", "update"], "chunk": ["32:64:128", "1024:2048:4096"], "protocol": ["1.1", "2"],
           "in_flight": [4, 32],
           "scenario": [{"name": "far-50ms-50mbit", "delay": "50ms", "rate": "50mbit"}]},
  "repetitions": 1, "cell_timeout": "60s", "peers": true
})";

}  // namespace

Matrix matrix_from_json(const nlohmann::json& j, const std::string& source, const std::string& base_dir) {
  try {
    return parse(j, source, base_dir);
  } catch (const Error& e) {
    throw Error(Errc::invalid_input, source + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw Error(Errc::invalid_input, source + ": " + e.what());
  }
}

Matrix load_matrix(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(Errc::not_found, path + ": cannot open the matrix file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(Errc::invalid_input, path + ": not JSON: " + e.what());
  }
  return matrix_from_json(j, path, fs::path(path).parent_path().string());
}

std::vector<std::string> preset_names() { return {"quick", "seed"}; }

Matrix preset(const std::string& name) {
  if (name == "seed") return matrix_from_json(nlohmann::json::parse(kSeedPreset), "preset seed", "");
  if (name == "quick") return matrix_from_json(nlohmann::json::parse(kQuickPreset), "preset quick", "");
  throw Error(Errc::usage, "--preset " + name + ": unknown preset (quick, seed)");
}

nlohmann::json Matrix::to_json() const {
  nlohmann::json scen = nlohmann::json::array();
  for (const auto& s : scenarios) scen.push_back(scenario_defs.at(s));
  return {{"schema", kMatrixSchema},
          {"name", name},
          {"image", {{"kind", image.kind}, {"size", image.size}, {"change", image.change}, {"seed", image.seed}}},
          {"axes",
           {{"case", cases}, {"chunk", chunks}, {"protocol", protocols}, {"in_flight", in_flight},
            {"connections", connections}, {"streams", streams}, {"mode", modes}, {"scenario", scen}}},
          {"repetitions", repetitions},
          {"cell_timeout", cell_timeout_seconds},
          {"peers", peers}};
}

}  // namespace chunkbench::bench
