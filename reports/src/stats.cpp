#include "chunkbench/reports/stats.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chunkbench::reports {

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  if (values.size() % 2) return *mid;
  const double upper = *mid;
  const double lower = *std::max_element(values.begin(), mid);
  return (lower + upper) / 2;
}

double geometric_mean(std::span<const double> values) {
  if (values.empty()) return 0;
  double sum = 0;
  for (double v : values) sum += std::log(v);
  return std::exp(sum / static_cast<double>(values.size()));
}

double quantile(std::span<const double> sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::size_t Rng::below(std::size_t n) {
  // Rejection keeps it exactly uniform; the loop almost never repeats for the small n used here.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x;
  do x = next();
  while (x >= limit);
  return static_cast<std::size_t>(x % n);
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
}

Interval bootstrap(const std::function<double(Rng&)>& resample_statistic, double level, int iterations,
                   std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> stats(static_cast<std::size_t>(iterations));
  for (auto& s : stats) s = resample_statistic(rng);
  std::sort(stats.begin(), stats.end());
  const double tail = (1 - level) / 2;
  return {quantile(stats, tail), quantile(stats, 1 - tail)};
}

void resample(std::span<const double> sample, Rng& rng, std::vector<double>& out) {
  out.resize(sample.size());
  for (auto& v : out) v = sample[rng.below(sample.size())];
}

}  // namespace chunkbench::reports
