#include "chunkbench/reports/result.hpp"

#include <algorithm>
#include <climits>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <system_error>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"

namespace chunkbench::reports {

using nlohmann::json;

namespace {

constexpr std::string_view kSchemaPrefix = "chunkbench.bench.result/";

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error(Errc::invalid_input, where + ": " + what);
}

// Reads the members of one JSON object with type checks whose errors name the field; what is left
// unread afterwards is the object's unknown part, kept in `extra`.
class Fields {
 public:
  Fields(const json& j, std::string prefix) : j_(j), prefix_(std::move(prefix)) {
    if (!j.is_object()) bad(prefix_.empty() ? "result" : prefix_.substr(0, prefix_.size() - 1), "expected an object");
  }

  template <class T>
  void required(const char* key, T& out) {
    if (!j_.contains(key)) bad(prefix_ + key, "missing");
    optional(key, out);
  }

  template <class T>
  void optional(const char* key, T& out) {
    used_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return;
    convert(*it, prefix_ + key, out);
  }

  json rest() const {
    json r = json::object();
    for (auto it = j_.begin(); it != j_.end(); ++it)
      if (!used_.count(it.key())) r[it.key()] = it.value();
    return r;
  }

 private:
  static void convert(const json& v, const std::string& where, std::string& out) {
    if (!v.is_string()) bad(where, "expected a string");
    out = v.get<std::string>();
  }
  static void convert(const json& v, const std::string& where, bool& out) {
    if (!v.is_boolean()) bad(where, "expected true or false");
    out = v.get<bool>();
  }
  static void convert(const json& v, const std::string& where, double& out) {
    if (!v.is_number()) bad(where, "expected a number");
    out = v.get<double>();
  }
  static void convert(const json& v, const std::string& where, int& out) {
    if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > INT_MAX)
      bad(where, "expected a non-negative integer");
    out = v.get<int>();
  }
  static void convert(const json& v, const std::string& where, std::uint64_t& out) {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<long long>() >= 0))
      bad(where, "expected a non-negative integer");
    out = v.get<std::uint64_t>();
  }
  // Nested documents name their own fields (from_json of Cell uses the "cell." prefix).
  static void convert(const json& v, const std::string&, Cell& out) { from_json(v, out); }
  static void convert(const json& v, const std::string&, Metadata& out) { from_json(v, out); }
  static void convert(const json& v, const std::string& where, json& out) {
    if (!v.is_object()) bad(where, "expected an object");
    out = v;
  }
  static void convert(const json& v, const std::string& where, std::map<std::string, std::string>& out) {
    if (!v.is_object()) bad(where, "expected an object of strings");
    out.clear();
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!it->is_string()) bad(where + "." + it.key(), "expected a string");
      out[it.key()] = it->get<std::string>();
    }
  }

  const json& j_;
  std::string prefix_;
  std::set<std::string> used_;
};

void one_of(const std::string& where, const std::string& value, std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += list.empty() ? "" : ", ";
    list += std::string("\"") + a + "\"";
  }
  bad(where, "\"" + value + "\" is not one of " + list);
}

// Known fields win over extras with the same name (an extra can only hold names the schema lacks).
void add_extra(json& j, const json& extra) {
  for (auto it = extra.begin(); it != extra.end(); ++it)
    if (!j.contains(it.key())) j[it.key()] = it.value();
}

void check_schema(const json& j) {
  if (!j.is_object()) bad("result", "expected a JSON object");
  auto it = j.find("schema");
  if (it == j.end() || !it->is_string()) bad("schema", "missing (expected \"" + std::string(kResultSchema) + "\")");
  const auto s = it->get<std::string>();
  if (s.rfind(kSchemaPrefix, 0) != 0) bad("schema", "\"" + s + "\" is not a chunkbench.bench.result document");
  const auto version = s.substr(kSchemaPrefix.size());
  const auto major = version.substr(0, version.find('.'));
  if (major != "1") bad("schema", "unsupported version \"" + s + "\" (this build reads major version 1)");
}

}  // namespace

double physical_limit_seconds(std::uint64_t wire_bytes, double rate_bytes_per_second, double rtt_seconds) {
  if (rate_bytes_per_second <= 0) return 0;
  return static_cast<double>(wire_bytes) / rate_bytes_per_second + 3 * rtt_seconds;
}

void compute_efficiency(Result& r) {
  r.t_limit_seconds = physical_limit_seconds(r.wire_bytes, r.rate_bytes_per_second, r.rtt_seconds);
  r.efficiency = (r.t_limit_seconds > 0 && r.wall_seconds > 0) ? r.t_limit_seconds / r.wall_seconds : 0;
}

void to_json(json& j, const Cell& c) {
  j = json{{"tool", c.tool},         {"case", c.case_},
           {"chunk", c.chunk},       {"protocol", c.protocol},
           {"in_flight", c.in_flight}, {"connections", c.connections},
           {"streams", c.streams},   {"mode", c.mode},
           {"scenario", c.scenario}};
  add_extra(j, c.extra);
}

void from_json(const json& j, Cell& c) {
  Fields f(j, "cell.");
  f.required("tool", c.tool);
  f.required("case", c.case_);
  f.required("chunk", c.chunk);
  f.required("protocol", c.protocol);
  f.optional("in_flight", c.in_flight);
  f.optional("connections", c.connections);
  f.optional("streams", c.streams);
  f.optional("mode", c.mode);
  f.optional("scenario", c.scenario);
  c.extra = f.rest();
  one_of("cell.tool", c.tool, {"chunkbench", "casync", "bare"});
  one_of("cell.case", c.case_, {"full", "update"});
  one_of("cell.protocol", c.protocol, {"1.1", "2"});
  one_of("cell.mode", c.mode, {"store", "range", "auto"});
  if (c.scenario.empty()) bad("cell.scenario", "empty (use \"none\" for plain loopback)");
}

void to_json(json& j, const Metadata& m) {
  j = json{{"kernel", m.kernel},       {"link_backend", m.link_backend},
           {"congestion_control", m.congestion_control},
           {"sysctls", m.sysctls},     {"versions", m.versions},
           {"git_revision", m.git_revision}, {"cpu_model", m.cpu_model},
           {"cpu_count", m.cpu_count}, {"started_at", m.started_at},
           {"host", m.host},           {"ab_side", m.ab_side}};
  add_extra(j, m.extra);
}

void from_json(const json& j, Metadata& m) {
  Fields f(j, "metadata.");
  f.optional("kernel", m.kernel);
  f.optional("link_backend", m.link_backend);
  f.optional("congestion_control", m.congestion_control);
  f.optional("sysctls", m.sysctls);
  f.optional("versions", m.versions);
  f.optional("git_revision", m.git_revision);
  f.optional("cpu_model", m.cpu_model);
  f.optional("cpu_count", m.cpu_count);
  f.optional("started_at", m.started_at);
  f.optional("host", m.host);
  f.optional("ab_side", m.ab_side);
  m.extra = f.rest();
  one_of("metadata.ab_side", m.ab_side, {"", "base", "new"});
}

void to_json(json& j, const Result& r) {
  j = json{{"schema", kResultSchema},
           {"matrix", r.matrix},
           {"cell_id", r.cell_id},
           {"repetition", r.repetition},
           {"cell", r.cell},
           {"status", r.status},
           {"error", r.error},
           {"lower_bound", r.lower_bound},
           {"wall_seconds", r.wall_seconds},
           {"wire_bytes", r.wire_bytes},
           {"payload_bytes", r.payload_bytes},
           {"requests", r.requests},
           {"connections_opened", r.connections_opened},
           {"protocol_negotiated", r.protocol_negotiated},
           {"client_cpu_seconds", r.client_cpu_seconds},
           {"client_peak_rss_bytes", r.client_peak_rss_bytes},
           {"rtt_seconds", r.rtt_seconds},
           {"rate_bytes_per_second", r.rate_bytes_per_second},
           {"rate_source", r.rate_source},
           {"t_limit_seconds", r.t_limit_seconds},
           {"efficiency", r.efficiency},
           {"server", r.server},
           {"link", r.link},
           {"extract", r.extract},
           {"metadata", r.metadata}};
  add_extra(j, r.extra);
}

void from_json(const json& j, Result& r) {
  check_schema(j);
  Fields f(j, "");
  std::string schema;
  f.required("schema", schema);
  f.optional("matrix", r.matrix);
  f.required("cell_id", r.cell_id);
  f.required("repetition", r.repetition);
  f.required("cell", r.cell);
  f.required("status", r.status);
  f.optional("error", r.error);
  f.optional("lower_bound", r.lower_bound);
  f.required("wall_seconds", r.wall_seconds);
  f.optional("wire_bytes", r.wire_bytes);
  f.optional("payload_bytes", r.payload_bytes);
  f.optional("requests", r.requests);
  f.optional("connections_opened", r.connections_opened);
  f.optional("protocol_negotiated", r.protocol_negotiated);
  f.optional("client_cpu_seconds", r.client_cpu_seconds);
  f.optional("client_peak_rss_bytes", r.client_peak_rss_bytes);
  f.optional("rtt_seconds", r.rtt_seconds);
  f.optional("rate_bytes_per_second", r.rate_bytes_per_second);
  f.optional("rate_source", r.rate_source);
  f.optional("t_limit_seconds", r.t_limit_seconds);
  f.optional("efficiency", r.efficiency);
  f.optional("server", r.server);
  f.optional("link", r.link);
  f.optional("extract", r.extract);
  f.optional("metadata", r.metadata);
  r.extra = f.rest();
  try {
    check_cell_id(r.cell_id);
  } catch (const Error& e) {
    bad("cell_id", e.what());
  }
  one_of("status", r.status, {"ok", "failed", "timeout"});
  if (r.wall_seconds < 0) bad("wall_seconds", "negative");
}

void check_cell_id(const std::string& id) {
  const bool safe = !id.empty() && id.size() <= 200 && id[0] != '.' &&
                    std::all_of(id.begin(), id.end(), [](char c) {
                      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                             c == '.' || c == '_' || c == '-';
                    });
  if (!safe)
    throw Error(Errc::invalid_input,
                "cell id \"" + id + "\" is not filesystem-safe (1-200 of [A-Za-z0-9._-], not starting with '.')");
}

std::string result_file_name(const Result& r) {
  check_cell_id(r.cell_id);
  const auto& side = r.metadata.ab_side;
  return r.cell_id + ".r" + std::to_string(r.repetition) + (side.empty() ? "" : "." + side) + ".json";
}

std::string ResultKey::str() const {
  return cell_id + " repetition " + std::to_string(repetition) + (ab_side.empty() ? "" : " side " + ab_side);
}

ResultKey key_of(const Result& r) { return {r.cell_id, r.repetition, r.metadata.ab_side}; }

std::filesystem::path results_dir(const std::filesystem::path& run_dir) { return run_dir / "results"; }

std::filesystem::path write_result(const std::filesystem::path& run_dir, const Result& r) {
  const auto dir = results_dir(run_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(Errc::io, "create " + dir.string() + ": " + ec.message());
  const auto path = dir / result_file_name(r);
  const std::string text = json(r).dump(2) + "\n";
  write_file_atomic(path.string(), {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  return path;
}

Result read_result_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(Errc::io, "open " + file.string() + ": cannot read");
  std::ostringstream text;
  text << in.rdbuf();
  json j;
  try {
    j = json::parse(text.str());
  } catch (const json::parse_error& e) {
    throw Error(Errc::invalid_input, file.string() + ": not valid JSON (byte " + std::to_string(e.byte) + ")");
  }
  try {
    return j.get<Result>();
  } catch (const Error& e) {
    throw Error(e.code(), file.string() + ": " + e.what());
  } catch (const json::exception& e) {
    throw Error(Errc::invalid_input, file.string() + ": " + e.what());
  }
}

std::vector<Result> read_results(const std::vector<std::filesystem::path>& inputs) {
  std::vector<Result> out;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(input, ec)) {
      out.push_back(read_result_file(input));
      continue;
    }
    std::filesystem::path dir = input;
    if (std::filesystem::is_directory(results_dir(input), ec)) dir = results_dir(input);
    if (!std::filesystem::is_directory(dir, ec))
      throw Error(Errc::not_found, input.string() + ": no such run directory, results folder or result file");
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      const auto name = e.path().filename().string();
      if (name.empty() || name[0] == '.' || e.path().extension() != ".json") continue;
      files.push_back(e.path());
    }
    if (ec) throw Error(Errc::io, "list " + dir.string() + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) out.push_back(read_result_file(file));
  }
  std::stable_sort(out.begin(), out.end(), [](const Result& a, const Result& b) { return key_of(a) < key_of(b); });
  return out;
}

}  // namespace chunkbench::reports
