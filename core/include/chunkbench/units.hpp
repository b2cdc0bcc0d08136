#pragma once
// The one parser for sizes, rates, durations and shares, used by every option and every file, so
// that "8M" or "50mbit" means the same thing wherever it is typed. The conventions follow the
// tools users already know (table in README.md, "Units"):
//
//   sizes      B; K/M/G/T and Ki/Mi/Gi/Ti (KiB, ...) are binary, as in desync, dd and truncate;
//              kB/KB/MB/GB/TB are decimal, as their SI names say.
//   rates      bytes per second: K/M/G (kB/s, MB/s, ...) are decimal, as in tc and iperf3, so
//              6.25M = 6.25 MB/s = 50 Mbit/s; Ki/Mi/Gi binary; bit/kbit/mbit/gbit (any case,
//              also Mbit/s) are bits per second, as in tc and iperf3. "bps" is refused: tc reads
//              it as bytes, most people as bits.
//   durations  ns, us (µs), ms, s, m (minutes), h.
//   shares     "5%" or a fraction "0.05".
//
// Every parser refuses empty, negative, malformed, fractional-byte and overflowing input with
// Errc::usage and a message that starts with `field` (an option or a file field, given by the
// caller), e.g. "max span: '8X' has an unknown unit ...".
#include <cstdint>
#include <string>
#include <string_view>

namespace chunkbench::units {

// What a number without a unit means: it is multiplied by `bare`; 0 means a unit is required
// (scenario files, where a bare "50" for a rate is more likely a mistake than 50 B/s).
std::uint64_t parse_size(std::string_view text, std::string_view field, std::uint64_t bare = 1);
// Bytes per second.
double parse_rate(std::string_view text, std::string_view field, double bare = 1);
// Seconds.
double parse_duration(std::string_view text, std::string_view field, double bare = 1);
// A share in [0, 1]: "5%" or "0.05".
double parse_fraction(std::string_view text, std::string_view field);

}  // namespace chunkbench::units
