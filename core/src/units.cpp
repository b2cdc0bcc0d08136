#include "chunkbench/units.hpp"

#include <charconv>
#include <cmath>

#include "chunkbench/error.hpp"

namespace chunkbench::units {

namespace {

struct Unit {
  std::string_view name;
  double scale;
};

[[noreturn]] void bad(std::string_view field, const std::string& why) {
  throw Error(Errc::usage, std::string(field) + ": " + why);
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

struct Quantity {
  double number = 0;
  std::string_view unit;
};

// "12.5 ms" -> 12.5 and "ms". Plain decimal numbers only (no sign, exponent, hex or inf), so that
// "1e3" or "-5" cannot slip through as something else.
Quantity split(std::string_view text, std::string_view field) {
  std::string_view t = text;
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t.empty()) bad(field, "is empty");
  if (t.front() == '-') bad(field, "must not be negative, got " + std::string(text));
  std::size_t i = 0, dots = 0, digits = 0;
  for (; i < t.size() && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.'); ++i) (t[i] == '.' ? dots : digits)++;
  if (digits == 0 || dots > 1) bad(field, quoted(text) + " is not a number with an optional unit");
  Quantity q;
  auto [end, ec] = std::from_chars(t.data(), t.data() + i, q.number);
  if (ec != std::errc() || end != t.data() + i || !std::isfinite(q.number)) bad(field, quoted(text) + " is not a number");
  q.unit = t.substr(i);
  while (!q.unit.empty() && q.unit.front() == ' ') q.unit.remove_prefix(1);
  return q;
}

template <std::size_t N>
const Unit* find(const Unit (&table)[N], std::string_view unit) {
  for (const auto& u : table)
    if (u.name == unit) return &u;
  return nullptr;
}

constexpr double kKi = 1024.0, kMi = kKi * 1024, kGi = kMi * 1024, kTi = kGi * 1024;

// Exact spellings: case matters (b is a bit, B a byte).
constexpr Unit kSizes[] = {
    {"B", 1},     {"K", kKi},   {"k", kKi},    {"Ki", kKi},   {"KiB", kKi},  {"M", kMi},   {"m", kMi},
    {"Mi", kMi},  {"MiB", kMi}, {"G", kGi},    {"g", kGi},    {"Gi", kGi},   {"GiB", kGi}, {"T", kTi},
    {"t", kTi},   {"Ti", kTi},  {"TiB", kTi},  {"kB", 1e3},   {"KB", 1e3},   {"MB", 1e6},  {"GB", 1e9},
    {"TB", 1e12},
};

// Byte rates after the prefix letter is upper-cased (6.25m = 6.25M); "/s" is stripped before.
constexpr Unit kByteRates[] = {
    {"B", 1},     {"K", 1e3},   {"KB", 1e3},   {"M", 1e6},    {"MB", 1e6},   {"G", 1e9},   {"GB", 1e9},
    {"Ki", kKi},  {"KiB", kKi}, {"Mi", kMi},   {"MiB", kMi},  {"Gi", kGi},   {"GiB", kGi},
};

// Bit rates, any case (50Mbit, 50mbit).
constexpr Unit kBitRates[] = {{"bit", 1.0 / 8}, {"kbit", 1e3 / 8}, {"mbit", 1e6 / 8}, {"gbit", 1e9 / 8}};

constexpr Unit kDurations[] = {
    {"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"min", 60}, {"h", 3600},
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The scale of a rate unit, or 0 when it is not one.
double rate_scale(std::string_view unit, std::string_view text, std::string_view field) {
  if (unit.size() > 2 && unit.substr(unit.size() - 2) == "/s") unit.remove_suffix(2);
  const std::string low = lower(unit);
  if (low.size() >= 3 && low.compare(low.size() - 3, 3, "bps") == 0)
    bad(field, quoted(text) + " has an unknown unit '" + std::string(unit) +
                   "': bps is ambiguous (tc reads it as bytes/s, most tools as bits/s); write 50mbit or 6.25MB/s");
  if (const Unit* u = find(kBitRates, low)) return u->scale;
  if (!unit.empty() && unit.back() == 'b')
    bad(field, quoted(text) + " is ambiguous: write mbit for bits/s or MB for bytes/s");
  std::string up(unit);
  if (!up.empty() && (up[0] == 'k' || up[0] == 'm' || up[0] == 'g')) up[0] = static_cast<char>(up[0] - 'a' + 'A');
  if (const Unit* u = find(kByteRates, up)) return u->scale;
  return 0;
}

double scaled(const Quantity& q, double scale, std::string_view text, std::string_view field, double limit) {
  const double v = q.number * scale;
  if (!(v < limit)) bad(field, quoted(text) + " is too large");
  return v;
}

void require_unit(double bare, std::string_view text, std::string_view field, const char* examples) {
  if (bare == 0) bad(field, quoted(text) + " needs a unit (" + examples + ")");
}

}  // namespace

std::uint64_t parse_size(std::string_view text, std::string_view field, std::uint64_t bare) {
  Quantity q = split(text, field);
  double scale = static_cast<double>(bare);
  if (q.unit.empty()) {
    require_unit(scale, text, field, "B, K, M, G, KiB, MB, ...");
  } else if (const Unit* u = find(kSizes, q.unit)) {
    scale = u->scale;
  } else if (q.unit.back() == 'b') {
    bad(field, quoted(text) + " is ambiguous: a lower-case b means bits; write B (bytes), K/KiB (1024) or kB (1000)");
  } else {
    bad(field, quoted(text) + " has an unknown unit '" + std::string(q.unit) +
                   "' (B; K, M, G, T = KiB, MiB, GiB, TiB; kB, MB, GB, TB = powers of 1000)");
  }
  const double v = scaled(q, scale, text, field, 18446744073709551616.0);  // 2^64
  if (v != std::floor(v)) bad(field, quoted(text) + " is not a whole number of bytes");
  return static_cast<std::uint64_t>(v);
}

double parse_rate(std::string_view text, std::string_view field, double bare) {
  Quantity q = split(text, field);
  double scale = bare;
  if (q.unit.empty()) {
    require_unit(scale, text, field, "e.g. 6.25M for bytes/s or 50mbit");
  } else {
    scale = rate_scale(q.unit, text, field);
    if (scale == 0)
      bad(field, quoted(text) + " has an unknown unit '" + std::string(q.unit) +
                     "' (bytes/s: K, M, G = powers of 1000, Ki, Mi, Gi = of 1024; bits/s: kbit, mbit, gbit)");
  }
  return scaled(q, scale, text, field, 1e18);
}

double parse_duration(std::string_view text, std::string_view field, double bare) {
  Quantity q = split(text, field);
  double scale = bare;
  if (q.unit.empty()) require_unit(scale, text, field, "ns, us, ms, s, m, h");
  else if (const Unit* u = find(kDurations, q.unit)) scale = u->scale;
  else bad(field, quoted(text) + " has an unknown unit '" + std::string(q.unit) + "' (ns, us, ms, s, m, h)");
  return scaled(q, scale, text, field, 1e9);  // about 30 years
}

double parse_fraction(std::string_view text, std::string_view field) {
  Quantity q = split(text, field);
  double v = q.number;
  if (q.unit == "%") v /= 100;
  else if (!q.unit.empty()) bad(field, quoted(text) + " is neither a percentage (5%) nor a fraction (0.05)");
  if (v > 1) bad(field, "must be at most 100%, got " + std::string(text));
  return v;
}

}  // namespace chunkbench::units
