#include "faults.hpp"

namespace chunkbench::server {

FaultInjector::FaultInjector(const FaultOptions& options, std::uint64_t loop_index)
    : opt_(options), state_(options.seed * 0x9E3779B97F4A7C15ULL + loop_index) {
  if (!opt_.fail_path_substring.empty() && opt_.fail_rate <= 0) opt_.fail_rate = 1.0;
}

// splitmix64: tiny, and unlike std:: distributions its output is the same on every standard library.
double FaultInjector::uniform() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

bool FaultInjector::fail(std::string_view path) {
  if (opt_.fail_rate <= 0) return false;
  if (!opt_.fail_path_substring.empty() && path.find(opt_.fail_path_substring) == std::string_view::npos)
    return false;
  return draw(opt_.fail_rate);
}

BodyFaults FaultInjector::body(std::uint64_t length) {
  BodyFaults f;
  if (length == 0) return f;
  // Half-way, so that a client sees headers and part of the body before the fault.
  if (draw(opt_.reset_rate)) f.reset_at = length / 2;
  if (draw(opt_.stall_rate)) f.stall_at = length / 2;
  if (draw(opt_.corrupt_rate)) f.corrupt_at = static_cast<std::uint64_t>(uniform() * static_cast<double>(length));
  return f;
}

}  // namespace chunkbench::server
