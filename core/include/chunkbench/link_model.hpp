#pragma once
// What a far link needs from the client, as pure functions of what was measured on it: requests in
// flight to cover the bandwidth-delay product, and HTTP/2 connections so that slow start of their
// summed initial windows reaches that product in a few round trips (one connection's initial window
// of 10 segments needs about 9 round trips to grow to the 6.25 MB of a 50 Mbit/s, 1 s link).
#include <cstdint>

namespace chunkbench {

struct LinkEstimate {
  double rtt = 0;   // seconds
  double rate = 0;  // bytes per second
  double bdp() const { return rtt > 0 && rate > 0 ? rtt * rate : 0; }
};

// Linux's initial congestion window (RFC 6928): 10 segments of 1448 payload bytes.
constexpr double kInitialWindowBytes = 10 * 1448.0;
// Round trips of slow start the connections may take together to reach the bandwidth-delay product.
constexpr int kRampRounds = 4;
// Most HTTP/2 connections the link model opens on its own (an explicit count may be larger).
constexpr unsigned kMaxLinkConnections = 32;
// Headroom over the product, so a link faster than its estimate shows it in the measured throughput.
constexpr double kWindowHeadroom = 1.5;

// Requests in flight: kWindowHeadroom x the product of `link` in answers of `avg_body` bytes, at
// least `floor`, at most `cap` (the memory bound); `floor` when the link is unknown.
unsigned window_for_link(const LinkEstimate& link, double avg_body, unsigned floor, unsigned cap);

// HTTP/2 connections: enough that their initial windows, doubled kRampRounds times, hold the product;
// 1 when one connection's ramp does; never more than `window` (each needs a stream) nor `cap`.
unsigned connections_for_link(const LinkEstimate& link, unsigned window, unsigned cap);

// The fastest of `current` and a measured throughput (bytes over seconds), so the window grows with
// what the link shows and never shrinks on a slow phase (the decoders or a seed held it back).
double grown_rate(double current, std::uint64_t bytes, double seconds);

}  // namespace chunkbench
