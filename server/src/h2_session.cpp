// HTTP/2 adapter: nghttp2 parses and frames, FileService answers. Bodies go out with NO_COPY: nghttp2
// decides the frame size, and send_data preads straight from the file into the loop's output buffer
// behind the 9-byte frame header, so a DATA frame costs one pread and no intermediate copy.
#include <nghttp2/nghttp2.h>

#include <string>
#include <unordered_map>

#include "chunkbench/error.hpp"
#include "session.hpp"

namespace chunkbench::server {
namespace {

enum TimerKind : std::uint64_t { kRespond = 0, kResume = 1 };

struct Stream {
  std::int32_t id;
  std::string method, path, range, if_range;  // repeated fields joined with ", " (RFC 9110 §5.3)
  Response response;
};

struct SessionFree {
  void operator()(nghttp2_session* s) const noexcept { nghttp2_session_del(s); }
};

class H2Session final : public Session {
 public:
  H2Session(LoopContext& ctx, SessionHost& host);

  void start() override;
  bool on_input(const std::uint8_t* data, std::size_t n) override {
    return nghttp2_session_mem_recv(session_.get(), data, n) >= 0;
  }
  bool produce(OutBuffer& out) override {
    out_ = &out;
    int rv = nghttp2_session_send(session_.get());
    out_ = nullptr;
    return rv == 0;
  }
  void on_timer(std::uint64_t token) override;
  bool wants_read() const override { return true; }
  bool finished() const override {
    return !nghttp2_session_want_read(session_.get()) && !nghttp2_session_want_write(session_.get());
  }
  void shutdown() override { nghttp2_session_terminate_session(session_.get(), NGHTTP2_NO_ERROR); }

 private:
  Stream* stream(std::int32_t id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session_.get(), id));
  }
  void request_complete(Stream& s);
  void respond(Stream& s);

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* ud);
  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                       const std::uint8_t* value, std::size_t valuelen, std::uint8_t flags, void* ud);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* ud);
  static int on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t error_code, void* ud);
  static ssize_t send(nghttp2_session*, const std::uint8_t* data, std::size_t length, int flags, void* ud);
  static int send_data(nghttp2_session*, nghttp2_frame* frame, const std::uint8_t* framehd, std::size_t length,
                       nghttp2_data_source* source, void* ud);
  static ssize_t read_body(nghttp2_session*, std::int32_t id, std::uint8_t* buf, std::size_t length,
                           std::uint32_t* data_flags, nghttp2_data_source* source, void* ud);

  LoopContext& ctx_;
  SessionHost& host_;
  std::unique_ptr<nghttp2_session, SessionFree> session_;
  std::unordered_map<std::int32_t, std::unique_ptr<Stream>> streams_;
  OutBuffer* out_ = nullptr;  // set only while produce() runs
};

H2Session::H2Session(LoopContext& ctx, SessionHost& host) : ctx_(ctx), host_(host) {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) throw Error(Errc::io, "nghttp2_session_callbacks_new failed");
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
  nghttp2_session_callbacks_set_send_callback(cbs, send);
  nghttp2_session_callbacks_set_send_data_callback(cbs, send_data);
  nghttp2_session* s = nullptr;
  int rv = nghttp2_session_server_new(&s, cbs, this);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) throw Error(Errc::io, std::string("nghttp2_session_server_new: ") + nghttp2_strerror(rv));
  session_.reset(s);
}

void H2Session::start() {
  const Options& o = ctx_.options;
  nghttp2_settings_entry iv[3];
  std::size_t n = 0;
  iv[n++] = {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, o.max_concurrent_streams};
  if (o.h2_window) iv[n++] = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, o.h2_window};
  if (o.no_rfc7540_priorities) iv[n++] = {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1};
  // The server preface must go out at once: the client waits for our SETTINGS before it trusts limits.
  nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE, iv, n);
  if (o.h2_connection_window)
    nghttp2_session_set_local_window_size(session_.get(), NGHTTP2_FLAG_NONE, 0,
                                          static_cast<std::int32_t>(o.h2_connection_window));
}

int H2Session::on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* ud) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto* self = static_cast<H2Session*>(ud);
  auto s = std::make_unique<Stream>();
  s->id = frame->hd.stream_id;
  nghttp2_session_set_stream_user_data(session, s->id, s.get());
  self->streams_[s->id] = std::move(s);
  self->ctx_.stats.stream_opened();
  self->ctx_.stats.concurrent_streams(self->streams_.size());
  return 0;
}

int H2Session::on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                         const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* ud) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  Stream* s = static_cast<H2Session*>(ud)->stream(frame->hd.stream_id);
  if (!s) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":method") s->method = v;
  else if (n == ":path") s->path = v;
  else if (n == "range" || n == "if-range") {
    // A repeated Range joined this way is no valid ranges-specifier any more, so it is ignored.
    std::string& into = n == "range" ? s->range : s->if_range;
    if (!into.empty()) into += ", ";
    into += v;
  }
  return 0;
}

int H2Session::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  auto* self = static_cast<H2Session*>(ud);
  if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
    if (Stream* s = self->stream(frame->hd.stream_id)) self->request_complete(*s);
  }
  return 0;
}

int H2Session::on_stream_close(nghttp2_session*, std::int32_t id, std::uint32_t, void* ud) {
  static_cast<H2Session*>(ud)->streams_.erase(id);
  return 0;
}

void H2Session::request_complete(Stream& s) {
  const auto delay = ctx_.options.faults.response_delay_ms;
  if (delay == 0) return respond(s);
  ctx_.stats.fault(Fault::delay);
  host_.schedule(host_.now() + std::chrono::milliseconds(delay), (static_cast<std::uint64_t>(s.id) << 1) | kRespond);
}

void H2Session::on_timer(std::uint64_t token) {
  const auto id = static_cast<std::int32_t>(token >> 1);
  Stream* s = stream(id);
  if (!s) return;  // the client reset or the connection closed meanwhile
  if ((token & 1) == kRespond) respond(*s);
  else nghttp2_session_resume_data(session_.get(), id);
}

void H2Session::respond(Stream& s) {
  s.response = ctx_.files.handle({s.method, s.path, s.range, s.if_range}, ctx_.faults, host_.now());
  Response& r = s.response;
  if (r.counted) ctx_.stats.request(Protocol::h2, r.status);
  const std::string status = std::to_string(r.status);
  const std::string length = std::to_string(r.content_length);
  auto nv = [](std::string_view n, std::string_view v) {
    return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(n.data())),
                      reinterpret_cast<std::uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                      NGHTTP2_NV_FLAG_NONE};
  };
  nghttp2_nv nva[16];
  std::size_t n = 0;
  nva[n++] = nv(":status", status);
  nva[n++] = nv("server", "chunkbench");
  nva[n++] = nv("content-length", length);
  for (const auto& h : r.headers)
    if (n < std::size(nva)) nva[n++] = nv(h.name, h.value);
  nghttp2_data_provider provider{};
  provider.source.ptr = &s;
  provider.read_callback = read_body;
  nghttp2_submit_response(session_.get(), s.id, nva, n, r.body.length() > 0 ? &provider : nullptr);
}

ssize_t H2Session::read_body(nghttp2_session*, std::int32_t id, std::uint8_t*, std::size_t length,
                             std::uint32_t* data_flags, nghttp2_data_source* source, void* ud) {
  auto* self = static_cast<H2Session*>(ud);
  auto* s = static_cast<Stream*>(source->ptr);
  Body& body = s->response.body;
  const Body::Step step = body.next(length, self->host_.now());
  switch (step.kind) {
    case Body::Step::done:
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    case Body::Step::send:
      *data_flags |= NGHTTP2_DATA_FLAG_NO_COPY;
      if (body.sent() + step.n == body.length()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(step.n);
    case Body::Step::wait:
      self->host_.schedule(step.until, (static_cast<std::uint64_t>(id) << 1) | kResume);
      return NGHTTP2_ERR_DEFERRED;
    case Body::Step::stall:
      return NGHTTP2_ERR_DEFERRED;  // never resumed: the stream stays open and silent
    case Body::Step::reset:
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // nghttp2 answers with RST_STREAM(INTERNAL_ERROR)
  }
  return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

ssize_t H2Session::send(nghttp2_session*, const std::uint8_t* data, std::size_t length, int, void* ud) {
  OutBuffer* out = static_cast<H2Session*>(ud)->out_;
  if (out->room() == 0) return NGHTTP2_ERR_WOULDBLOCK;
  const std::size_t n = std::min(length, out->room());  // nghttp2 resends the rest of a partly taken frame
  out->append(data, n);
  return static_cast<ssize_t>(n);
}

int H2Session::send_data(nghttp2_session*, nghttp2_frame* frame, const std::uint8_t* framehd, std::size_t length,
                         nghttp2_data_source* source, void* ud) {
  auto* self = static_cast<H2Session*>(ud);
  OutBuffer* out = self->out_;
  const std::size_t padlen = frame->data.padlen;
  if (out->room() < 9 + padlen + length) return NGHTTP2_ERR_WOULDBLOCK;  // whole frames only
  std::uint8_t* p = out->tail();
  std::memcpy(p, framehd, 9);
  std::size_t at = 9;
  if (padlen > 0) p[at++] = static_cast<std::uint8_t>(padlen - 1);
  try {
    static_cast<Stream*>(source->ptr)->response.body.read(p + at, length);
  } catch (const Error&) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // the file went away under us: reset this stream only
  }
  at += length;
  if (padlen > 1) {
    std::memset(p + at, 0, padlen - 1);
    at += padlen - 1;
  }
  out->commit(at);
  if (static_cast<Stream*>(source->ptr)->response.counted) self->ctx_.stats.body_bytes(Protocol::h2, length);
  return 0;
}

}  // namespace

std::unique_ptr<Session> make_h2_session(LoopContext& ctx, SessionHost& host) {
  return std::make_unique<H2Session>(ctx, host);
}

}  // namespace chunkbench::server
