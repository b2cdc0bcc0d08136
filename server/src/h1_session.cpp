// HTTP/1.1 adapter: H1Parser splits requests, FileService answers, responses go out strictly in
// request order (pipelining allowed, bounded). Status line, headers and the first body bytes share one
// output buffer, so a small response leaves in a single TLS write.
#include <deque>
#include <string>

#include "chunkbench/error.hpp"
#include "h1_parser.hpp"
#include "session.hpp"

namespace chunkbench::server {
namespace {

constexpr std::size_t kMaxPipelined = 32;
enum TimerKind : std::uint64_t { kDelayDone = 0, kResume = 1 };

class H1Session final : public Session {
 public:
  H1Session(LoopContext& ctx, SessionHost& host) : ctx_(ctx), host_(host) {}

  void start() override {}
  bool on_input(const std::uint8_t* data, std::size_t n) override;
  bool produce(OutBuffer& out) override;
  void on_timer(std::uint64_t token) override;
  bool wants_read() const override { return !closing_ && !parser_.failed() && queue_.size() < kMaxPipelined; }
  bool finished() const override { return closing_ && state_ == State::idle; }
  bool wants_abort() const override { return abort_; }
  void shutdown() override { closing_ = true; }

 private:
  enum class State { idle, delaying, head, body, waiting, stalled };

  void start_response();
  bool write_head(OutBuffer& out);

  LoopContext& ctx_;
  SessionHost& host_;
  H1Parser parser_;
  std::deque<H1Request> queue_;

  State state_ = State::idle;
  bool delay_done_ = false;
  Response resp_;
  bool resp_keep_alive_ = true;
  bool closing_ = false, abort_ = false;
};

bool H1Session::on_input(const std::uint8_t* data, std::size_t n) {
  parser_.feed(data, n, queue_);
  return true;
}

void H1Session::start_response() {
  const H1Request& req = queue_.front();
  if (req.bad) {
    resp_ = ctx_.files.error(400, "GET");
  } else {
    resp_ = ctx_.files.handle({req.method, req.target, req.range, req.if_range}, ctx_.faults, host_.now());
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
        if (queue_.empty() || (closing_ && !parser_.failed())) return true;
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
