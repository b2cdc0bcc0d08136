#pragma once
// HTTP/1.1 request framing over http-parser, apart from the session so that it can be tested and fuzzed
// on bytes alone: whatever way the input is cut into reads, the same requests come out.
#include <http_parser.h>

#include <cstdint>
#include <deque>
#include <string>

namespace chunkbench::server {

struct H1Request {
  std::string method, target;
  std::string range, if_range;  // header values; repeated field lines joined with ", " (RFC 9110 §5.3)
  bool keep_alive = true;
  bool bad = false;  // the stream could not be parsed: answer 400 and close
};

class H1Parser {
 public:
  H1Parser();
  H1Parser(const H1Parser&) = delete;
  H1Parser& operator=(const H1Parser&) = delete;
  // Appends every request completed by these bytes to `out`. On a parse error one request with
  // `bad` set is appended and all later input is ignored.
  void feed(const std::uint8_t* data, std::size_t n, std::deque<H1Request>& out);
  bool failed() const { return failed_; }

 private:
  static const http_parser_settings& settings();
  void commit_header();

  http_parser parser_{};
  H1Request current_;
  std::string field_, value_;
  bool in_value_ = false, failed_ = false;
  std::deque<H1Request>* out_ = nullptr;  // set only while feed() runs
};

}  // namespace chunkbench::server
