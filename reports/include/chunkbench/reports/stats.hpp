#pragma once
// The few statistics reports and compare need: medians, geometric means and a percentile bootstrap on
// a seeded generator of our own, so a confidence interval is the same number on every machine.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace chunkbench::reports {

// 0 for an empty sample.
double median(std::vector<double> values);
// exp(mean(log x)); 0 for an empty sample. Values must be > 0.
double geometric_mean(std::span<const double> values);
// Linear interpolation between order statistics, q in [0, 1]; `sorted` ascending and not empty.
double quantile(std::span<const double> sorted, double q);

// splitmix64: tiny, fast, and its sequence is fixed by the seed alone (std distributions are not
// specified bit-for-bit across standard libraries).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  std::size_t below(std::size_t n);  // uniform in [0, n)
  double uniform();                  // [0, 1)
  double normal();                   // standard normal (Box-Muller)

 private:
  std::uint64_t state_;
};

struct Interval {
  double low = 0, high = 0;
};

// Percentile bootstrap: `resample_statistic(rng)` draws one resample and returns its statistic; the
// interval holds the central `level` of `iterations` such statistics.
Interval bootstrap(const std::function<double(Rng&)>& resample_statistic, double level, int iterations,
                   std::uint64_t seed);
// One resample with replacement of `sample`, into `out` (resized).
void resample(std::span<const double> sample, Rng& rng, std::vector<double>& out);

}  // namespace chunkbench::reports
