// HTTP/1.1 adapter: http-parser splits requests, FileService answers, responses go out strictly in
// request order (pipelining allowed, bounded). Status line, headers and the first body bytes share one
// output buffer, so a small response leaves in a single TLS write.
#include <http_parser.h>
#include <strings.h>

#include <deque>
#include <string>

#include "chunkbench/error.hpp"
#include "session.hpp"

namespace chunkbench::server {
namespace {

constexpr std::size_t kMaxPipelined = 32;
enum TimerKind : std::uint64_t { kDelayDone = 0, kResume = 1 };

class H1Session final : public Session {
 public:
  H1Session(LoopContext& ctx, SessionHost& host) : ctx_(ctx), host_(host) {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
  }

  void start() override {}
  bool on_input(const std::uint8_t* data, std::size_t n) override;
  bool produce(OutBuffer& out) override;
  void on_timer(std::uint64_t token) override;
  bool wants_read() const override { return !closing_ && !parse_error_ && queue_.size() < kMaxPipelined; }
  bool finished() const override { return closing_ && state_ == State::idle; }
  bool wants_abort() const override { return abort_; }
  void shutdown() override { closing_ = true; }

 private:
  struct Pending {
    std::string method, target, range;
    bool keep_alive = true;
    bool bad = false;
  };
  enum class State { idle, delaying, head, body, waiting, stalled };

  static const http_parser_settings& settings();
  void commit_header() {
    if (!field_.empty() && ::strcasecmp(field_.c_str(), "range") == 0) range_ = value_;
    field_.clear();
    value_.clear();
  }
  void start_response();
  bool write_head(OutBuffer& out);

  LoopContext& ctx_;
  SessionHost& host_;
  http_parser parser_{};
  std::string url_, field_, value_, range_;
  bool in_value_ = false;
  std::deque<Pending> queue_;

  State state_ = State::idle;
  bool delay_done_ = false;
  Response resp_;
  bool resp_keep_alive_ = true;
  bool closing_ = false, parse_error_ = false, abort_ = false;
};

const http_parser_settings& H1Session::settings() {
  static const http_parser_settings s = [] {
    http_parser_settings st;
    http_parser_settings_init(&st);
    st.on_message_begin = [](http_parser* p) {
      auto* h = static_cast<H1Session*>(p->data);
      h->url_.clear();
      h->field_.clear();
      h->value_.clear();
      h->range_.clear();
      h->in_value_ = false;
      return 0;
    };
    st.on_url = [](http_parser* p, const char* at, std::size_t n) {
      static_cast<H1Session*>(p->data)->url_.append(at, n);
      return 0;
    };
    // Field and value callbacks may come in pieces across reads: accumulate until the other one starts.
    st.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
      auto* h = static_cast<H1Session*>(p->data);
      if (h->in_value_) h->commit_header();
      h->in_value_ = false;
      h->field_.append(at, n);
      return 0;
    };
    st.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
      auto* h = static_cast<H1Session*>(p->data);
      h->in_value_ = true;
      h->value_.append(at, n);
      return 0;
    };
    st.on_headers_complete = [](http_parser* p) {
      static_cast<H1Session*>(p->data)->commit_header();
      return 0;
    };
    st.on_message_complete = [](http_parser* p) {
      auto* h = static_cast<H1Session*>(p->data);
      h->queue_.push_back({http_method_str(static_cast<http_method>(p->method)), std::move(h->url_),
                           std::move(h->range_), http_should_keep_alive(p) != 0, false});
      return 0;
    };
    return st;
  }();
  return s;
}

bool H1Session::on_input(const std::uint8_t* data, std::size_t n) {
  if (parse_error_) return true;  // a 400 is on its way; the rest of the stream is meaningless
  const std::size_t used = http_parser_execute(&parser_, &settings(), reinterpret_cast<const char*>(data), n);
  if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK || (used != n && !parser_.upgrade)) {
    parse_error_ = true;
    Pending bad;
    bad.bad = true;
    bad.keep_alive = false;
    queue_.push_back(std::move(bad));
  }
  return true;
}

void H1Session::start_response() {
  Pending& req = queue_.front();
  if (req.bad) {
    resp_ = ctx_.files.error(400, "GET");
  } else {
    resp_ = ctx_.files.handle({req.method, req.target, req.range}, ctx_.faults, host_.now());
  }
  resp_keep_alive_ = req.keep_alive && !req.bad;
  if (resp_.counted) ctx_.stats.request(Protocol::h1, resp_.status);
  state_ = State::head;
}

bool H1Session::write_head(OutBuffer& out) {
  std::string head;
  head.reserve(256);
  head += "HTTP/1.1 ";
  head += std::to_string(resp_.status);
  head += ' ';
  head += reason_phrase(resp_.status);
  head += "\r\nserver: chunkbench\r\ncontent-length: ";
  head += std::to_string(resp_.content_length);
  head += "\r\n";
  for (const auto& h : resp_.headers) {
    head += h.name;
    head += ": ";
    head += h.value;
    head += "\r\n";
  }
  if (!resp_keep_alive_) head += "connection: close\r\n";
  head += "\r\n";
  if (head.size() > out.room()) return false;
  out.append(head.data(), head.size());
  return true;
}

bool H1Session::produce(OutBuffer& out) {
  for (;;) {
    switch (state_) {
      case State::idle:
        if (queue_.empty() || (closing_ && !parse_error_)) return true;
        if (ctx_.options.faults.response_delay_ms > 0 && !delay_done_) {
          ctx_.stats.fault(Fault::delay);
          state_ = State::delaying;
          host_.schedule(host_.now() + std::chrono::milliseconds(ctx_.options.faults.response_delay_ms), kDelayDone);
          return true;
        }
        delay_done_ = false;
        start_response();
        break;
      case State::head:
        if (!write_head(out)) return true;  // retried once the buffer has been written out
        state_ = State::body;
        break;
      case State::body: {
        if (out.room() == 0) return true;
        const Body::Step step = resp_.body.next(out.room(), host_.now());
        switch (step.kind) {
          case Body::Step::send:
            try {
              resp_.body.read(out.tail(), step.n);
            } catch (const Error&) {
              abort_ = true;  // headers promised a length we cannot deliver: only a reset is honest
              return true;
            }
            out.commit(step.n);
            if (resp_.counted) ctx_.stats.body_bytes(Protocol::h1, step.n);
            break;
          case Body::Step::done:
            if (!resp_keep_alive_) closing_ = true;
            queue_.pop_front();
            resp_ = Response{};
            state_ = State::idle;
            break;
          case Body::Step::wait:
            state_ = State::waiting;
            host_.schedule(step.until, kResume);
            return true;
          case Body::Step::stall:
            state_ = State::stalled;
            return true;
          case Body::Step::reset:
            abort_ = true;
            return true;
        }
        break;
      }
      case State::delaying:
      case State::waiting:
      case State::stalled:
        return true;
    }
  }
}

void H1Session::on_timer(std::uint64_t token) {
  if (token == kDelayDone && state_ == State::delaying) {
    delay_done_ = true;
    state_ = State::idle;
  } else if (token == kResume && state_ == State::waiting) {
    state_ = State::body;
  }
}

}  // namespace

std::unique_ptr<Session> make_h1_session(LoopContext& ctx, SessionHost& host) {
  return std::make_unique<H1Session>(ctx, host);
}

}  // namespace chunkbench::server
