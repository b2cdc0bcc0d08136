#pragma once
// Which faults a response gets. One injector per event loop, so no locking and, with one loop, a
// reproducible sequence for a given --fault-seed.
#include <cstdint>
#include <optional>
#include <string_view>

#include "chunkbench/server/server.hpp"

namespace chunkbench::server {

// Body offsets at which a fault strikes; empty = not this one.
struct BodyFaults {
  std::optional<std::uint64_t> reset_at, stall_at, corrupt_at;
};

class FaultInjector {
 public:
  FaultInjector(const FaultOptions& options, std::uint64_t loop_index);
  const FaultOptions& options() const { return opt_; }
  // True when this request for `path` (decoded, relative to the root) is answered with a 503.
  bool fail(std::string_view path);
  // Draws reset/stall/corrupt for a body of `length` bytes (0 bytes: none can apply).
  BodyFaults body(std::uint64_t length);

 private:
  double uniform();  // [0, 1)
  bool draw(double p) { return p > 0 && (p >= 1 || uniform() < p); }

  FaultOptions opt_;
  std::uint64_t state_;
};

}  // namespace chunkbench::server
