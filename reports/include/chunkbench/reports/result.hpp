#pragma once
// One benchmark result: a cell of the matrix at one repetition, as the bench runner writes it and every
// report reads it ("chunkbench.bench.result/1", one file per cell and repetition under DIR/results/).
// The structs are the schema; fields this version does not know are kept in `extra` and written back,
// so an older reader merging newer files loses nothing.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chunkbench::reports {

inline constexpr const char* kResultSchema = "chunkbench.bench.result/1";

// What was measured. Strings hold the schema's values ("chunkbench"|"casync"|"bare", "full"|"update",
// "1.1"|"2", "store"|"range"|"auto"); readers reject anything else, naming the field.
struct Cell {
  std::string tool = "chunkbench";
  std::string case_ = "full";      // JSON "case"
  std::string chunk;               // "min:avg:max" in KiB, desync form
  std::string protocol = "2";
  int in_flight = 0;               // 0 = the library's default
  int connections = 0;
  int streams = 0;
  std::string mode = "store";
  std::string scenario = "none";
  nlohmann::json extra = nlohmann::json::object();

  bool operator==(const Cell&) const = default;
};

struct Metadata {
  std::string kernel, link_backend, congestion_control;
  std::map<std::string, std::string> sysctls;
  std::map<std::string, std::string> versions;  // "chunkbench", "curl", "nghttp2", "openssl", "casync"
  std::string git_revision, cpu_model;
  int cpu_count = 0;
  std::string started_at;  // ISO-8601 UTC
  std::string host;
  std::string ab_side;     // "base" | "new" in A/B runs, else ""
  nlohmann::json extra = nlohmann::json::object();

  bool operator==(const Metadata&) const = default;
};

struct Result {
  std::string matrix;
  std::string cell_id;  // stable, filesystem-safe ([A-Za-z0-9._-], not starting with '.'), unique per cell
  int repetition = 0;
  Cell cell;
  std::string status = "ok";  // "ok" | "failed" | "timeout"
  std::string error;          // message when not ok (no secrets)
  bool lower_bound = false;   // the cell hit its time cap: wall_seconds is a lower bound
  double wall_seconds = 0;
  std::uint64_t wire_bytes = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t requests = 0;
  std::uint64_t connections_opened = 0;
  std::string protocol_negotiated;
  double client_cpu_seconds = 0;
  std::uint64_t client_peak_rss_bytes = 0;
  double rtt_seconds = 0;
  double rate_bytes_per_second = 0;
  std::string rate_source;  // "scenario" | "bare-transfer" | "" (unknown)
  double t_limit_seconds = 0;
  double efficiency = 0;
  nlohmann::json server = nlohmann::json::object();   // the server's statistics document as-is
  nlohmann::json link = nlohmann::json::object();     // emulator counters as-is
  nlohmann::json extract = nlohmann::json::object();  // chunkbench.extract/1 document or {}
  Metadata metadata;
  nlohmann::json extra = nlohmann::json::object();    // unknown top-level fields, preserved

  bool ok() const { return status == "ok"; }
  bool operator==(const Result&) const = default;
};

// The physical limit of a transfer: wire_bytes at the link rate plus 3 round trips (TCP handshake,
// TLS 1.3, first request). 0 when the rate is unknown.
double physical_limit_seconds(std::uint64_t wire_bytes, double rate_bytes_per_second, double rtt_seconds);
// Fills t_limit_seconds and efficiency (t_limit / wall) from the other fields; efficiency 0 when unknown.
void compute_efficiency(Result& r);

// from_json throws chunkbench::Error(Errc::invalid_input) naming the field ("cell.in_flight: ...");
// the file readers below prefix the file name.
void to_json(nlohmann::json& j, const Cell& c);
void from_json(const nlohmann::json& j, Cell& c);
void to_json(nlohmann::json& j, const Metadata& m);
void from_json(const nlohmann::json& j, Metadata& m);
void to_json(nlohmann::json& j, const Result& r);
void from_json(const nlohmann::json& j, Result& r);

// Throws Errc::invalid_input unless `id` is a filesystem-safe cell id.
void check_cell_id(const std::string& id);
// "<cell_id>.r<repetition>.json"; A/B runs keep both sides in one folder: "<cell_id>.r<rep>.<ab_side>.json".
std::string result_file_name(const Result& r);
// Equal keys name the same measurement: (cell_id, repetition, metadata.ab_side).
struct ResultKey {
  std::string cell_id;
  int repetition = 0;
  std::string ab_side;
  auto operator<=>(const ResultKey&) const = default;
  std::string str() const;  // "cell_id repetition N[ side S]" for messages
};
ResultKey key_of(const Result& r);
// The results folder of a run directory: DIR/results.
std::filesystem::path results_dir(const std::filesystem::path& run_dir);

// Writes run_dir/results/<cell_id>.r<rep>.json via a temporary name and a rename (creating the folders),
// so a reader or a resumed run never sees half a file. Returns the final path.
std::filesystem::path write_result(const std::filesystem::path& run_dir, const Result& r);
// Parses one result file; errors name the file (and the field).
Result read_result_file(const std::filesystem::path& file);
// Every result under each argument: a run directory (its results/ folder), a results folder itself, or a
// single .json file. Temporary files (dot names) are skipped. Sorted by key (stable: equal keys keep
// the input order); duplicates are left for merge_results to judge.
std::vector<Result> read_results(const std::vector<std::filesystem::path>& inputs);

}  // namespace chunkbench::reports
