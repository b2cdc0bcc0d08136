#pragma once
// What a terminal shows while a matrix runs: the cell being run, how many are left, an ETA from the
// cells done so far, and one table row per finished cell. Formatting only; the CLI prints.
#include <chrono>
#include <string>

#include "chunkbench/reports/result.hpp"

namespace chunkbench::bench {

class Progress {
 public:
  explicit Progress(std::size_t total) : total_(total), start_(std::chrono::steady_clock::now()) {}

  // "[3/24] update-64k-h2-n32-c0-s0-store-far-chunkbench r0   elapsed 1:02  ETA 6:40"
  std::string status(const std::string& cell_id, int repetition) const;
  void finished(double cell_seconds);
  std::size_t done() const { return done_; }
  std::size_t total() const { return total_; }
  double eta_seconds() const;  // < 0: unknown

  static std::string table_header();
  // One row: cell, rep, status, wall s, MB on the wire, MB/s, efficiency.
  static std::string table_row(const reports::Result& r);

 private:
  std::size_t total_, done_ = 0;
  double spent_ = 0;
  std::chrono::steady_clock::time_point start_;
};

std::string format_minutes(double seconds);  // "6:40", "--:--" when unknown

}  // namespace chunkbench::bench
