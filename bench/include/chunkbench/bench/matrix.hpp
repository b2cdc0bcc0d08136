#pragma once
// A benchmark matrix ("chunkbench.matrix/1"): the image pair, the axes whose product is the set of
// cells, repetitions and the per-cell time cap. A validated value: every error names the file and
// the field ("m.json: axes.protocol[1]: \"3\" is not one of 1.1, 2").
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chunkbench::bench {

inline constexpr const char* kMatrixSchema = "chunkbench.matrix/1";

// The generated image pair (imagegen): v1 and its next version v2. Deterministic for one host.
struct ImageSpec {
  std::string kind = "tar";        // tar | erofs | synthetic
  std::uint64_t size = 32ull << 20;
  double change = 0.05;            // share of files (tar/erofs) or bytes (synthetic) changed in v2
  std::uint64_t seed = 1;

  bool operator==(const ImageSpec&) const = default;
};

struct Matrix {
  std::string name;
  std::string source;  // the file it came from, or "preset NAME"
  ImageSpec image;
  // Axes (each non-empty, no duplicates).
  std::vector<std::string> cases;      // full | update
  std::vector<std::string> chunks;     // "min:avg:max" in KiB (desync form), normalised
  std::vector<std::string> protocols;  // "1.1" | "2"
  std::vector<int> in_flight;          // 0 = the library's default
  std::vector<int> connections;        // 0 = default
  std::vector<int> streams;            // 0 = default
  std::vector<std::string> modes;      // store | range | auto
  std::vector<std::string> scenarios;  // "none", a netem preset, a file stem or an inline scenario's name
  // Scenario name -> its validated netem scenario JSON (netem::scenario_from_json reads it back);
  // "none" is an unshaped link, still between the two namespaces.
  std::map<std::string, nlohmann::json> scenario_defs;
  int repetitions = 1;
  double cell_timeout_seconds = 300;
  bool peers = true;  // casync and bare-transfer rows beside the chunkbench cells

  nlohmann::json to_json() const;
};

// Parses and validates; `source` prefixes every message, relative scenario files resolve against
// `base_dir`.
Matrix matrix_from_json(const nlohmann::json& j, const std::string& source, const std::string& base_dir);
Matrix load_matrix(const std::string& path);

// Built-in matrices: "seed" (issue 9's seed experiment) and "quick" (about five minutes on two cores).
std::vector<std::string> preset_names();
Matrix preset(const std::string& name);

}  // namespace chunkbench::bench
