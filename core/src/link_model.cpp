#include "chunkbench/link_model.hpp"

#include <algorithm>
#include <cmath>

namespace chunkbench {

unsigned window_for_link(const LinkEstimate& link, double avg_body, unsigned floor, unsigned cap) {
  floor = std::max(1u, floor);
  cap = std::max(floor, cap);
  if (link.bdp() <= 0 || !(avg_body > 0)) return floor;
  const double want = std::ceil(kWindowHeadroom * link.bdp() / avg_body);
  return static_cast<unsigned>(std::clamp(want, static_cast<double>(floor), static_cast<double>(cap)));
}

unsigned connections_for_link(const LinkEstimate& link, unsigned window, unsigned cap) {
  const unsigned most = std::max(1u, std::min(window, cap));
  const double per_connection = kInitialWindowBytes * std::ldexp(1.0, kRampRounds);
  const double want = std::ceil(link.bdp() / per_connection);
  return static_cast<unsigned>(std::clamp(want, 1.0, static_cast<double>(most)));
}

double grown_rate(double current, std::uint64_t bytes, double seconds) {
  if (!(seconds > 0)) return current;
  return std::max(current, static_cast<double>(bytes) / seconds);
}

}  // namespace chunkbench
