#include "h1_parser.hpp"

#include <strings.h>

namespace chunkbench::server {
namespace {

void join_field(std::string& into, const std::string& value) {
  if (!into.empty()) into += ", ";
  into += value;
}

}  // namespace

H1Parser::H1Parser() {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

void H1Parser::commit_header() {
  // Only the fields FileService reads are kept. A repeated Range joined with ", " is no longer a valid
  // ranges-specifier ("bytes=0-1, bytes=5-6"), so it is ignored, as RFC 9110 lets us.
  if (field_.empty()) return;
  if (::strcasecmp(field_.c_str(), "range") == 0) join_field(current_.range, value_);
  else if (::strcasecmp(field_.c_str(), "if-range") == 0) join_field(current_.if_range, value_);
  field_.clear();
  value_.clear();
}

const http_parser_settings& H1Parser::settings() {
  static const http_parser_settings s = [] {
    http_parser_settings st;
    http_parser_settings_init(&st);
    st.on_message_begin = [](http_parser* p) {
      auto* h = static_cast<H1Parser*>(p->data);
      h->current_ = H1Request{};
      h->field_.clear();
      h->value_.clear();
      h->in_value_ = false;
      return 0;
    };
    st.on_url = [](http_parser* p, const char* at, std::size_t n) {
      static_cast<H1Parser*>(p->data)->current_.target.append(at, n);
      return 0;
    };
    // Field and value callbacks may come in pieces across reads: accumulate until the other one starts.
    st.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
      auto* h = static_cast<H1Parser*>(p->data);
      if (h->in_value_) h->commit_header();
      h->in_value_ = false;
      h->field_.append(at, n);
      return 0;
    };
    st.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
      auto* h = static_cast<H1Parser*>(p->data);
      h->in_value_ = true;
      h->value_.append(at, n);
      return 0;
    };
    st.on_headers_complete = [](http_parser* p) {
      static_cast<H1Parser*>(p->data)->commit_header();
      return 0;
    };
    st.on_message_complete = [](http_parser* p) {
      auto* h = static_cast<H1Parser*>(p->data);
      h->current_.method = http_method_str(static_cast<http_method>(p->method));
      h->current_.keep_alive = http_should_keep_alive(p) != 0;
      h->out_->push_back(std::move(h->current_));
      h->current_ = H1Request{};
      return 0;
    };
    return st;
  }();
  return s;
}

void H1Parser::feed(const std::uint8_t* data, std::size_t n, std::deque<H1Request>& out) {
  // A zero-length execute means end of input to http-parser; the session never has such a read.
  if (failed_ || n == 0) return;  // after an error a 400 is on its way; the rest of the stream is meaningless
  out_ = &out;
  std::size_t at = 0;
  bool ok = true;
  while (ok && at < n) {
    const std::size_t used =
        http_parser_execute(&parser_, &settings(), reinterpret_cast<const char*>(data) + at, n - at);
    at += used;
    // http-parser stops after a request asking for Upgrade (or a CONNECT). We switch to nothing
    // (RFC 9110 §7.8 lets a server ignore Upgrade) and go on parsing HTTP/1.1 from the next byte.
    ok = HTTP_PARSER_ERRNO(&parser_) == HPE_OK && (at == n || (parser_.upgrade && used > 0));
  }
  out_ = nullptr;
  if (!ok) {
    failed_ = true;
    H1Request bad;
    bad.bad = true;
    bad.keep_alive = false;
    out.push_back(std::move(bad));
  }
}

}  // namespace chunkbench::server
