#pragma once
// The one piece of file serving behind both protocols: path validation, GET/HEAD, byte ranges (range.hpp),
// validators, content types, the stats endpoint, and the faults drawn per response.
#include <string>
#include <string_view>

#include "chunkbench/fd.hpp"
#include "faults.hpp"
#include "response.hpp"
#include "stats.hpp"

namespace chunkbench::server {

constexpr std::string_view kStatsPath = "/.well-known/chunkbench-stats";

struct Request {
  std::string_view method;
  std::string_view target;  // as sent: percent-encoded, maybe with a query
  std::string_view range;     // the Range header, empty if absent
  std::string_view if_range;  // the If-Range header, empty if absent
};

// Decodes a request target into a path relative to the root. False for anything that is not a plain
// path beneath it: no origin form, a bad escape, NUL, a "." or ".." segment (also when encoded), or a
// second leading slash (an absolute path once the first one is stripped).
bool decode_target(std::string_view target, std::string& out);

class FileService {
 public:
  // Opens `root` once; every request resolves beneath that directory fd.
  FileService(const std::string& root, Stats& stats);
  Response handle(const Request& request, FaultInjector& faults, Clock::time_point now) const;
  const std::string& root() const { return root_; }
  // A plain-text error response; no body for HEAD.
  Response error(int status, std::string_view method) const;

 private:

  std::string root_;
  Fd root_fd_;
  Stats& stats_;  // counts the faults it draws
};

// "Tue, 24 Nov 2026 21:05:09 GMT"; `now` is cached per thread and second.
const std::string& http_date_now();

}  // namespace chunkbench::server
