#include "chunkbench/netem/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "chunkbench/error.hpp"
#include "chunkbench/units.hpp"

namespace chunkbench::netem {
namespace {

constexpr std::int64_t kMaxDelayNs = 60'000'000'000;   // a minute one way is beyond any real path
constexpr std::uint64_t kMinRate = 10'000;              // below this one 1500-byte packet takes > 1 s
constexpr std::uint64_t kMaxRate = 100'000'000'000;
constexpr int kMinMtu = 576;                            // the IPv4 datagram every host must accept
constexpr int kMaxMtu = 9000;                           // jumbo frames; beyond is no real path
constexpr std::uint64_t kMaxQueueBytes = 1ull << 30;
constexpr std::uint64_t kMaxQueuePackets = 1'000'000;

[[noreturn]] void bad(const std::string& field, const std::string& why) {
  throw Error(Errc::invalid_input, field + ": " + why);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The shared unit parsers (chunkbench/units.hpp) throw usage errors; in a scenario the value comes
// from a file or its overrides, so it is invalid input, with the same message.
template <typename F>
auto field_value(F&& parse) {
  try {
    return parse();
  } catch (const Error& e) {
    throw Error(Errc::invalid_input, e.what());
  }
}

std::string trim_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

const std::map<std::string, std::string>& presets() {
  // Presets are JSON so they go through the same validation as files. seed-* reproduce the
  // seed's loopback shaping (netem delay 500ms on lo = 500 ms each way; wondershaper -d/-u 50000
  // kbit = 50 Mbit/s each way). The TCP knobs stay the host's unless a preset needs otherwise, as
  // on the seed machine; override them with --tcp-wmem etc.
  static const std::map<std::string, std::string> p = {
      {"seed-delay", R"({"name":"seed-delay","delay":"500ms"})"},
      {"seed-bandwidth", R"({"name":"seed-bandwidth","rate":"50mbit"})"},
      {"seed-both", R"({"name":"seed-both","delay":"500ms","rate":"50mbit"})"},
      {"lan", R"({"name":"lan","delay":"100us","rate":"1gbit"})"},
      {"dsl", R"({"name":"dsl","delay":"15ms","up":{"rate":"1mbit"},"down":{"rate":"16mbit"}})"},
      {"lte", R"({"name":"lte","delay":"35ms","jitter":"5ms","loss":"0.1%","up":{"rate":"10mbit"},"down":{"rate":"30mbit"}})"},
      {"transatlantic", R"({"name":"transatlantic","delay":"45ms","rate":"100mbit"})"},
  };
  return p;
}

void check_keys(const nlohmann::json& j, const std::string& where, const std::vector<std::string>& known) {
  if (!j.is_object()) bad(where.empty() ? "scenario" : where, "must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) != known.end()) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    bad(where.empty() ? it.key() : where + "." + it.key(), "unknown key (known: " + list + ")");
  }
}

std::string as_text(const nlohmann::json& v, const std::string& field) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) bad(field, "needs a unit, e.g. \"500ms\", \"50mbit\", \"1%\" (got the bare number " + v.dump() + ")");
  bad(field, "must be a string with a unit, got " + v.dump());
}

void parse_queue(const nlohmann::json& v, const std::string& field, Direction& d) {
  d.queue_bytes = d.queue_packets = 0;
  if (v.is_object()) {
    check_keys(v, field, {"bytes", "packets"});
    if (v.size() != 1) bad(field, "give exactly one of bytes or packets");
    if (v.contains("bytes")) {
      const auto& b = v["bytes"];
      if (b.is_number() && !(b.is_number_integer() && b.get<long long>() > 0)) bad(field + ".bytes", "must be a positive integer, got " + b.dump());
      d.queue_bytes = b.is_number() ? b.get<std::uint64_t>() : parse_bytes(as_text(b, field + ".bytes"), field + ".bytes");
    } else {
      const auto& p = v["packets"];
      if (!(p.is_number_integer() && p.get<long long>() > 0)) bad(field + ".packets", "must be a positive integer, got " + p.dump());
      d.queue_packets = p.get<std::uint64_t>();
    }
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (!s.empty() && (s.back() == 'p' || s.back() == 'P')) {
      // A packet count is a plain number: the size parser with "bytes" read as packets.
      const std::string n = s.substr(0, s.size() - 1);
      if (n.find_first_not_of("0123456789 ") != std::string::npos)
        bad(field, "'" + v.get<std::string>() + "' is not a packet count like \"1000p\"");
      d.queue_packets = field_value([&] { return units::parse_size(n, field); });
    } else {
      d.queue_bytes = parse_bytes(s, field);
    }
  } else {
    bad(field, "must be \"1000p\", \"6MB\", {\"packets\": N} or {\"bytes\": N}, got " + v.dump());
  }
  if (d.queue_packets == 0 && d.queue_bytes == 0) bad(field, "must be at least one packet");
  if (d.queue_packets > kMaxQueuePackets) bad(field, "more than " + std::to_string(kMaxQueuePackets) + " packets");
  if (d.queue_bytes > kMaxQueueBytes) bad(field, "more than 1 GiB");
}

void parse_direction_fields(const nlohmann::json& j, const std::string& prefix, Direction& d) {
  auto f = [&](const char* k) { return prefix.empty() ? std::string(k) : prefix + "." + k; };
  if (j.contains("delay")) d.delay_ns = parse_duration_ns(as_text(j["delay"], f("delay")), f("delay"));
  if (j.contains("jitter")) d.jitter_ns = parse_duration_ns(as_text(j["jitter"], f("jitter")), f("jitter"));
  if (j.contains("rate")) {
    const auto& r = j["rate"];
    if (r.is_null() || (r.is_string() && lower(r.get<std::string>()) == "unlimited")) d.rate_bps = 0;
    else d.rate_bps = parse_rate_bps(as_text(r, f("rate")), f("rate"));
  }
  if (j.contains("loss")) {
    const auto& l = j["loss"];
    d.loss = l.is_number() ? l.get<double>() : parse_fraction(as_text(l, f("loss")), f("loss"));
    if (!(d.loss >= 0 && d.loss < 1)) bad(f("loss"), "must be in [0%, 100%), got " + l.dump());
  }
  if (j.contains("queue")) parse_queue(j["queue"], f("queue"), d);
}

void validate_direction(const Direction& d, const std::string& name) {
  if (d.delay_ns > kMaxDelayNs) bad(name + ".delay", format_duration(d.delay_ns) + " is more than 60s");
  if (d.jitter_ns > d.delay_ns)
    bad(name + ".jitter", format_duration(d.jitter_ns) + " exceeds the delay " + format_duration(d.delay_ns) +
                              " (a packet cannot arrive before it was sent)");
}

std::string rmem_text(const nlohmann::json& v, const std::string& field) {
  std::vector<long long> n;
  if (v.is_array()) {
    for (const auto& x : v) {
      if (!x.is_number_integer()) bad(field, "must hold three integers, got " + v.dump());
      n.push_back(x.get<long long>());
    }
  } else if (v.is_string()) {
    std::istringstream in(v.get<std::string>());
    std::string w;
    while (in >> w) {
      char* end = nullptr;
      long long x = std::strtoll(w.c_str(), &end, 10);
      if (*end != 0) bad(field, "'" + v.get<std::string>() + "' is not three integers \"min default max\"");
      n.push_back(x);
    }
  } else {
    bad(field, "must be \"min default max\" or [min, default, max], got " + v.dump());
  }
  if (n.size() != 3) bad(field, "needs exactly three values (min default max), got " + std::to_string(n.size()));
  if (n[0] <= 0 || n[0] > n[1] || n[1] > n[2]) bad(field, "needs 0 < min <= default <= max");
  if (n[2] > (1ll << 31) - 1) bad(field, "max exceeds 2 GiB");
  return std::to_string(n[0]) + " " + std::to_string(n[1]) + " " + std::to_string(n[2]);
}

void parse_sysctls(const nlohmann::json& j, Sysctls& s) {
  check_keys(j, "sysctl", {"congestion_control", "tcp_rmem", "tcp_wmem", "tcp_slow_start_after_idle"});
  if (j.contains("congestion_control")) {
    const auto& v = j["congestion_control"];
    if (!v.is_string() || v.get<std::string>().empty()) bad("sysctl.congestion_control", "must be a name like \"bbr\"");
    for (char c : v.get<std::string>())
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') bad("sysctl.congestion_control", "'" + v.get<std::string>() + "' is not an algorithm name");
    s.congestion_control = v.get<std::string>();
  }
  if (j.contains("tcp_rmem")) s.tcp_rmem = rmem_text(j["tcp_rmem"], "sysctl.tcp_rmem");
  if (j.contains("tcp_wmem")) s.tcp_wmem = rmem_text(j["tcp_wmem"], "sysctl.tcp_wmem");
  if (j.contains("tcp_slow_start_after_idle")) {
    const auto& v = j["tcp_slow_start_after_idle"];
    if (v.is_boolean()) s.tcp_slow_start_after_idle = v.get<bool>() ? 1 : 0;
    else if (v.is_number_integer() && (v.get<int>() == 0 || v.get<int>() == 1)) s.tcp_slow_start_after_idle = v.get<int>();
    else if (v.is_string() && (v == "0" || v == "1")) s.tcp_slow_start_after_idle = v == "1" ? 1 : 0;
    else bad("sysctl.tcp_slow_start_after_idle", "must be 0 or 1, got " + v.dump());
  }
}

// "server": {"initcwnd": 40, "initrwnd": 40}; integers, or their decimal text (from a flag).
void parse_server_route(const nlohmann::json& j, ServerRoute& r) {
  check_keys(j, "server", {"initcwnd", "initrwnd"});
  for (auto [key, field] : {std::pair{"initcwnd", &r.initcwnd}, std::pair{"initrwnd", &r.initrwnd}}) {
    if (!j.contains(key)) continue;
    const auto& v = j[key];
    long long n = -1;
    if (v.is_number_integer()) n = v.get<long long>();
    else if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().find_first_not_of("0123456789") == std::string::npos)
      n = std::strtoll(v.get<std::string>().c_str(), nullptr, 10);
    if (n < 1 || n > 65535) bad(std::string("server.") + key, "must be a number of segments in 1..65535, got " + v.dump());
    *field = static_cast<int>(n);
  }
}

nlohmann::json direction_json(const Direction& d) {
  nlohmann::json j = nlohmann::json::object();
  j["delay"] = format_duration(d.delay_ns);
  if (d.jitter_ns) j["jitter"] = format_duration(d.jitter_ns);
  if (d.rate_bps) j["rate"] = format_rate(d.rate_bps);
  // A fraction, not "x%": a percentage's decimal text does not read back as the same double, and a
  // saved scenario must load as the one that ran.
  if (d.loss > 0) j["loss"] = d.loss;
  if (d.queue_packets) j["queue"] = {{"packets", d.queue_packets}};
  else if (d.queue_bytes) j["queue"] = {{"bytes", d.queue_bytes}};
  return j;
}

std::string describe_direction(const Direction& d) {
  std::string s = format_duration(d.delay_ns);
  if (d.jitter_ns) s += "±" + format_duration(d.jitter_ns);
  s += " " + (d.rate_bps ? format_rate(d.rate_bps) : std::string("unlimited"));
  if (d.loss > 0) s += " loss " + trim_number(d.loss * 100) + "%";
  if (d.queue_packets) s += " queue " + std::to_string(d.queue_packets) + "p";
  else if (d.queue_bytes) s += " queue " + std::to_string(d.queue_bytes) + "B";
  return s;
}

}  // namespace

std::int64_t parse_duration_ns(const std::string& text, const std::string& field) {
  const double seconds = field_value([&] { return units::parse_duration(text, field, 0); });
  if (seconds > 1e3) bad(field, "'" + text + "' is absurdly long");
  return static_cast<std::int64_t>(std::llround(seconds * 1e9));
}

std::uint64_t parse_rate_bps(const std::string& text, const std::string& field) {
  const double bps = field_value([&] { return units::parse_rate(text, field, 0); }) * 8;
  if (bps == 0) bad(field, "must be > 0 (omit it, or write \"unlimited\", for no rate limit)");
  if (bps < static_cast<double>(kMinRate)) bad(field, "'" + text + "' is below 10kbit");
  if (bps > static_cast<double>(kMaxRate)) bad(field, "'" + text + "' is above 100gbit");
  return static_cast<std::uint64_t>(std::llround(bps));
}

double parse_fraction(const std::string& text, const std::string& field) {
  if (text.find('-') != std::string::npos) bad(field, "must be in [0%, 100%), got " + text);
  const double v = field_value([&] { return units::parse_fraction(text, field); });
  if (!(v < 1)) bad(field, "must be in [0%, 100%), got " + text);
  return v;
}

std::uint64_t parse_bytes(const std::string& text, const std::string& field) {
  return field_value([&] { return units::parse_size(text, field); });
}

std::string format_duration(std::int64_t ns) {
  if (ns == 0) return "0ms";
  if (ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

std::string format_rate(std::uint64_t bps) {
  if (bps == 0) return "unlimited";
  if (bps % 1'000'000'000 == 0) return std::to_string(bps / 1'000'000'000) + "gbit";
  if (bps % 1'000'000 == 0) return std::to_string(bps / 1'000'000) + "mbit";
  if (bps % 1'000 == 0) return std::to_string(bps / 1'000) + "kbit";
  return std::to_string(bps) + "bit";
}

std::uint64_t Scenario::queue_limit_bytes(const Direction& d) const {
  if (d.queue_bytes) return d.queue_bytes;
  if (d.queue_packets) return d.queue_packets * static_cast<std::uint64_t>(mtu);
  const double bdp = static_cast<double>(d.rate_bps) / 8 * static_cast<double>(base_rtt_ns()) / 1e9;
  return std::max<std::uint64_t>(static_cast<std::uint64_t>(bdp), 100ull * static_cast<std::uint64_t>(mtu));
}

std::uint64_t Scenario::queue_limit_packets(const Direction& d) const { return d.queue_packets; }

bool Scenario::needs_delay_or_loss() const {
  for (const auto* d : {&up, &down})
    if (d->delay_ns || d->jitter_ns || d->loss > 0) return true;
  return false;
}

nlohmann::json Scenario::to_json() const {
  nlohmann::json j;
  j["name"] = name;
  j["up"] = direction_json(up);
  j["down"] = direction_json(down);
  j["mtu"] = mtu;
  nlohmann::json s = nlohmann::json::object();
  if (sysctls.congestion_control) s["congestion_control"] = *sysctls.congestion_control;
  if (sysctls.tcp_rmem) s["tcp_rmem"] = *sysctls.tcp_rmem;
  if (sysctls.tcp_wmem) s["tcp_wmem"] = *sysctls.tcp_wmem;
  if (sysctls.tcp_slow_start_after_idle) s["tcp_slow_start_after_idle"] = *sysctls.tcp_slow_start_after_idle;
  if (!s.empty()) j["sysctl"] = s;
  if (server.initcwnd) j["server"]["initcwnd"] = *server.initcwnd;
  if (server.initrwnd) j["server"]["initrwnd"] = *server.initrwnd;
  return j;
}

std::string Scenario::describe() const {
  std::string s = name + ": up " + describe_direction(up) + ", down " + describe_direction(down) + ", mtu " + std::to_string(mtu);
  if (sysctls.congestion_control) s += ", cc " + *sysctls.congestion_control;
  if (sysctls.tcp_rmem) s += ", tcp_rmem " + *sysctls.tcp_rmem;
  if (sysctls.tcp_wmem) s += ", tcp_wmem " + *sysctls.tcp_wmem;
  if (sysctls.tcp_slow_start_after_idle) s += ", slow_start_after_idle " + std::to_string(*sysctls.tcp_slow_start_after_idle);
  if (server.initcwnd) s += ", server initcwnd " + std::to_string(*server.initcwnd);
  if (server.initrwnd) s += ", server initrwnd " + std::to_string(*server.initrwnd);
  return s;
}

Scenario scenario_from_json(const nlohmann::json& j, const std::string& source) {
  try {
    static const std::vector<std::string> dir_keys = {"delay", "jitter", "rate", "loss", "queue"};
    std::vector<std::string> top = dir_keys;
    top.insert(top.end(), {"name", "up", "down", "mtu", "sysctl", "server"});
    check_keys(j, "", top);
    Scenario s;
    if (j.contains("name")) {
      if (!j["name"].is_string()) bad("name", "must be a string");
      s.name = j["name"].get<std::string>();
    }
    // Top-level link fields apply to both directions; up/down refine them.
    Direction both;
    parse_direction_fields(j, "", both);
    s.up = s.down = both;
    for (auto [key, d] : {std::pair<const char*, Direction*>{"up", &s.up}, {"down", &s.down}}) {
      if (!j.contains(key)) continue;
      check_keys(j[key], key, dir_keys);
      parse_direction_fields(j[key], key, *d);
    }
    validate_direction(s.up, "up");
    validate_direction(s.down, "down");
    if (j.contains("mtu")) {
      const auto& m = j["mtu"];
      if (!m.is_number_integer()) bad("mtu", "must be an integer, got " + m.dump());
      long long v = m.get<long long>();
      if (v < kMinMtu || v > kMaxMtu)
        bad("mtu", std::to_string(v) + " is outside " + std::to_string(kMinMtu) + ".." + std::to_string(kMaxMtu));
      s.mtu = static_cast<int>(v);
    }
    for (auto [key, d] : {std::pair<const char*, Direction*>{"up", &s.up}, {"down", &s.down}})
      if (d->queue_bytes && d->queue_bytes < static_cast<std::uint64_t>(s.mtu))
        bad(std::string(key) + ".queue", std::to_string(d->queue_bytes) + " bytes cannot hold one " + std::to_string(s.mtu) + "-byte packet");
    if (j.contains("sysctl")) parse_sysctls(j["sysctl"], s.sysctls);
    if (j.contains("server")) parse_server_route(j["server"], s.server);
    return s;
  } catch (const Error& e) {
    throw Error(Errc::invalid_input, source + ": " + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw Error(Errc::invalid_input, source + ": " + e.what());
  }
}

std::vector<std::string> preset_names() {
  // Seed presets first: they are what the project set out to reproduce.
  return {"seed-delay", "seed-bandwidth", "seed-both", "lan", "dsl", "lte", "transatlantic"};
}

bool is_preset(const std::string& name) { return presets().count(name) > 0; }

std::string preset_summary(const std::string& name) {
  return scenario_from_json(nlohmann::json::parse(presets().at(name)), "preset " + name).describe();
}

Scenario load_scenario(const std::string& name_or_path) {
  auto it = presets().find(name_or_path);
  if (it != presets().end()) return scenario_from_json(nlohmann::json::parse(it->second), "preset " + it->first);
  std::ifstream in(name_or_path);
  if (!in) {
    std::string names;
    for (const auto& n : preset_names()) names += (names.empty() ? "" : ", ") + n;
    throw Error(Errc::not_found, "scenario '" + name_or_path + "' is neither a preset (" + names + ") nor a readable JSON file");
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(Errc::invalid_input, name_or_path + ": not valid JSON: " + e.what());
  }
  Scenario s = scenario_from_json(j, name_or_path);
  if (!j.contains("name")) {
    auto slash = name_or_path.find_last_of('/');
    s.name = name_or_path.substr(slash == std::string::npos ? 0 : slash + 1);
  }
  return s;
}

Scenario apply_overrides(const Scenario& base, const std::vector<std::pair<std::string, std::string>>& overrides) {
  if (overrides.empty()) return base;
  nlohmann::json j = base.to_json();
  static const std::vector<std::string> dir_keys = {"delay", "jitter", "rate", "loss", "queue"};
  std::string flags;
  for (const auto& [key, value] : overrides) {
    flags += " " + key + "=" + value;
    if (std::find(dir_keys.begin(), dir_keys.end(), key) != dir_keys.end()) {
      j["up"][key] = value;  // a both-directions flag overrides per-direction values of the base
      j["down"][key] = value;
    } else if (key.rfind("up.", 0) == 0) {
      j["up"][key.substr(3)] = value;
    } else if (key.rfind("down.", 0) == 0) {
      j["down"][key.substr(5)] = value;
    } else if (key.rfind("sysctl.", 0) == 0) {
      j["sysctl"][key.substr(7)] = value;
    } else if (key.rfind("server.", 0) == 0) {
      j["server"][key.substr(7)] = value;
    } else if (key == "mtu") {
      char* end = nullptr;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != 0) throw Error(Errc::usage, "mtu: '" + value + "' is not an integer");
      j["mtu"] = v;
    } else if (key == "name") {
      j["name"] = value;
    } else {
      throw Error(Errc::usage, key + ": not a scenario field");
    }
  }
  // A queue override replaces the whole queue object (bytes vs packets).
  // Overrides are the caller's flags: a value they cannot hold is a usage error, not a bad file.
  Scenario s;
  try {
    s = scenario_from_json(j, "flags");
  } catch (const Error& e) {
    if (e.code() != Errc::invalid_input) throw;
    throw Error(Errc::usage, e.what());
  }
  if (s.name == base.name) s.name = base.name == "flags" ? flags.substr(1) : base.name + " +" + flags.substr(1);
  return s;
}

}  // namespace chunkbench::netem
