#include "chunkbench/bench/progress.hpp"

#include <cstdio>

namespace chunkbench::bench {

std::string format_minutes(double seconds) {
  if (!(seconds >= 0) || seconds > 360000) return "--:--";
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

void Progress::finished(double cell_seconds) {
  ++done_;
  spent_ += cell_seconds;
}

double Progress::eta_seconds() const {
  if (done_ == 0) return -1;
  return spent_ / static_cast<double>(done_) * static_cast<double>(total_ - done_);
}

std::string Progress::status(const std::string& cell_id, int repetition) const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char buf[512];
  std::snprintf(buf, sizeof buf, "[%zu/%zu] %s r%d  %zu left  elapsed %s  ETA %s", done_ + 1, total_, cell_id.c_str(), repetition,
                total_ - done_, format_minutes(elapsed).c_str(), format_minutes(eta_seconds()).c_str());
  return buf;
}

std::string Progress::table_header() {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-58s %3s %-7s %9s %9s %8s %6s", "cell", "rep", "status", "time s", "wire MB", "MB/s", "eff");
  return buf;
}

std::string Progress::table_row(const reports::Result& r) {
  const double mb = static_cast<double>(r.wire_bytes) / 1e6;
  char eff[16] = "-";
  if (r.efficiency > 0) std::snprintf(eff, sizeof eff, "%.2f", r.efficiency);
  char buf[512];
  std::snprintf(buf, sizeof buf, "%-58s %3d %-7s %8.2f%s %9.1f %8.1f %6s", r.cell_id.c_str(), r.repetition, r.status.c_str(), r.wall_seconds,
                r.lower_bound ? "+" : " ", mb, r.wall_seconds > 0 ? mb / r.wall_seconds : 0.0, eff);
  return buf;
}

}  // namespace chunkbench::bench
