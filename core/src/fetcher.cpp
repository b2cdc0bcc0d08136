#include "chunkbench/fetcher.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <map>
#include <random>
#include <thread>

#include "chunkbench/error.hpp"
#include "chunkbench/link_model.hpp"

namespace chunkbench {

namespace {

// curl_global_init is not thread-safe on 7.88 and must run before any other curl call. A
// function-local static gives exactly one call, serialised by the C++ runtime, the first time a
// fetcher is made; nothing else in this process calls it, and curl_global_cleanup is left to
// process exit because another fetcher may still be alive.
void curl_init_once() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) throw Error(Errc::network, std::string("curl_global_init: ") + curl_easy_strerror(rc));
}

struct EasyDeleter {
  void operator()(CURL* e) const noexcept { curl_easy_cleanup(e); }
};
struct MultiDeleter {
  void operator()(CURLM* m) const noexcept { curl_multi_cleanup(m); }
};
struct ShareDeleter {
  void operator()(CURLSH* s) const noexcept { curl_share_cleanup(s); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;
using SharePtr = std::unique_ptr<CURLSH, ShareDeleter>;

// curl_multi_poll can sleep through its whole timeout although nghttp2 already holds data
// (seen with curl 7.88 and h2); a short cap bounds that stall.
constexpr int kPollCapMs = 20;

// Failures another attempt cannot fix: configuration and trust, not the network.
bool retryable(CURLcode rc) {
  switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_TOO_MANY_REDIRECTS:
    case CURLE_WRITE_ERROR:
    case CURLE_OUT_OF_MEMORY:
      return false;
    default:
      return true;
  }
}

std::string describe(const HttpRequest& r) {
  std::string s = method_of(r) + " " + r.url;
  if (r.range_length)
    s += " (bytes " + std::to_string(r.range_first) + "-" + std::to_string(r.range_first + r.range_length - 1) + ")";
  return s;
}

const char* protocol_name(long v) {
  switch (v) {
    case CURL_HTTP_VERSION_1_0: return "1.0";
    case CURL_HTTP_VERSION_1_1: return "1.1";
    case CURL_HTTP_VERSION_2_0: return "2";
    case CURL_HTTP_VERSION_3: return "3";
    default: return "";
  }
}

template <typename T>
void easy_set(CURL* e, CURLoption opt, T value, const char* what) {
  CURLcode rc = curl_easy_setopt(e, opt, value);
  if (rc != CURLE_OK) throw Error(Errc::network, std::string("curl_easy_setopt ") + what + ": " + curl_easy_strerror(rc));
}

template <typename T>
void multi_set(CURLM* m, CURLMoption opt, T value, const char* what) {
  CURLMcode rc = curl_multi_setopt(m, opt, value);
  if (rc != CURLM_OK) throw Error(Errc::network, std::string("curl_multi_setopt ") + what + ": " + curl_multi_strerror(rc));
}

struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct Transfer {
  EasyPtr easy;
  std::size_t index = 0;
  HttpRequest req;
  unsigned attempt = 0;
  double start = 0;
  std::vector<std::uint8_t> body;
  SlistPtr request_headers;  // must outlive the transfer: curl keeps the pointer
  std::vector<std::pair<std::string, std::string>> headers;
  bool too_big = false;
  bool active = false;
  bool stalled = false;
  double last_activity = 0;  // steady-clock seconds of the last header or body byte
  // Steady-clock seconds: added to the multi, request about to go out on its connection (curl's
  // PREREQFUNCTION), first response byte. Our own clock: curl 7.88 restarts the base of
  // PRETRANSFER/STARTTRANSFER when a transfer leaves its pending queue, but not of TOTAL.
  double added_at = 0, sent_at = -1, first_at = -1;
  char errbuf[CURL_ERROR_SIZE] = {};
};

}  // namespace

HttpRequest HttpRequest::get(std::string url, std::size_t max_body) {
  HttpRequest r;
  r.url = std::move(url);
  r.max_body = max_body;
  return r;
}

HttpRequest HttpRequest::head_of(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  r.head = true;
  return r;
}

HttpRequest HttpRequest::range(std::string url, std::uint64_t first, std::uint64_t length) {
  HttpRequest r;
  r.url = std::move(url);
  r.range_first = first;
  r.range_length = length;
  r.max_body = static_cast<std::size_t>(length);
  return r;
}

std::string method_of(const HttpRequest& r) {
  if (!r.method.empty()) return r.method;
  return r.head ? "HEAD" : "GET";
}

const std::string* HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

const char* version_name(HttpOptions::Version v) noexcept {
  switch (v) {
    case HttpOptions::Version::http1_1: return "1.1";
    case HttpOptions::Version::http2: return "2";
    default: return "any";
  }
}

HttpOptions::Version parse_http_version(const std::string& s) {
  if (s == "1.1" || s == "1" || s == "http/1.1") return HttpOptions::Version::http1_1;
  if (s == "2" || s == "h2") return HttpOptions::Version::http2;
  if (s == "any" || s.empty()) return HttpOptions::Version::any;
  throw Error(Errc::usage, "HTTP version '" + s + "': expected 1.1, 2 or any");
}

// Destroyed bottom-up: easy handles, then the multi (closing its pooled connections), and the
// share last, when nothing uses it any more (curl_share_cleanup refuses while handles do).
struct BatchFetcher::Impl {
  SharePtr share;
  MultiPtr multi;
  std::vector<std::unique_ptr<Transfer>> slots;
  std::mt19937_64 rng{std::random_device{}()};
  // HTTP/2 connections are opened before streams are spread over them: `probing` waits for the
  // first connection's TCP handshake (the round trip that sizes the rest), `opening` for every
  // connection's TLS handshake; then `warm`. HTTP/1.1 starts warm.
  enum class Warm { cold, probing, opening, warm };
  Warm warm = Warm::cold;
  std::vector<Transfer*> warming;  // the transfers that open the connections
  unsigned connections = 0;        // per host; 0: unlimited
  unsigned window = 1;             // requests in flight now
  unsigned cap = 1;                // most requests in flight (memory)
  double rtt = -1;                 // TCP connect of the first connection
  double rate = 0;                 // link estimate, bytes per second (0: no link model)
  std::uint64_t body_bytes = 0, bodies = 0;  // answers so far, for the mean answer
  double meter_start = 0;          // steady seconds; throughput is measured over about one round trip
  std::uint64_t meter_bytes = 0;
};

namespace {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int on_prereq(void* user, char*, char*, int, int) {
  auto* t = static_cast<Transfer*>(user);
  t->sent_at = steady_seconds();
  return CURL_PREREQFUNC_OK;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->last_activity = steady_seconds();
  if (t->first_at < 0) t->first_at = t->last_activity;
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  // A status line starts a new response (after a redirect or a 100 Continue): keep only the last.
  if (line.rfind("HTTP/", 0) == 0) {
    t->headers.clear();
  } else if (auto colon = line.find(':'); colon != std::string_view::npos && colon > 0) {
    std::string name(line.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    t->headers.emplace_back(std::move(name), std::string(value));
  }
  return size * n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  if (t->req.max_body && t->body.size() + len > t->req.max_body) {
    t->too_big = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  if (t->body.empty()) {
    // One allocation per body instead of a doubling series of copies.
    curl_off_t cl = -1;
    curl_easy_getinfo(t->easy.get(), CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    if (cl > 0 && (!t->req.max_body || static_cast<std::size_t>(cl) <= t->req.max_body))
      t->body.reserve(static_cast<std::size_t>(cl));
  }
  t->body.insert(t->body.end(), data, data + len);
  t->last_activity = steady_seconds();
  return len;
}

}  // namespace

BatchFetcher::BatchFetcher(HttpOptions options, std::shared_ptr<FetchStats> stats)
    : options_(std::move(options)), stats_(std::move(stats)), impl_(std::make_unique<Impl>()) {
  curl_init_once();
  if (options_.in_flight == 0) options_.in_flight = 1;
  if (options_.max_in_flight < options_.in_flight) options_.max_in_flight = options_.in_flight;
  if (options_.link_rate <= 0) options_.max_in_flight = options_.in_flight;  // no model: a fixed window
  impl_->window = options_.in_flight;
  impl_->cap = options_.max_in_flight;
  impl_->rate = std::max(0.0, options_.link_rate);
  if (options_.rtt_hint > 0) impl_->rtt = options_.rtt_hint;
  impl_->multi.reset(curl_multi_init());
  if (!impl_->multi) throw Error(Errc::network, "curl_multi_init failed");
  CURLM* m = impl_->multi.get();
  if (options_.version == HttpOptions::Version::http1_1) {
    impl_->warm = Impl::Warm::warm;
    impl_->connections = options_.connections;
  } else {
    impl_->connections = options_.connections ? options_.connections : 1;
  }
  if (impl_->connections) {
    multi_set(m, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(impl_->connections), "MAX_HOST_CONNECTIONS");
    multi_set(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(impl_->connections), "MAX_TOTAL_CONNECTIONS");
  }
  // Keep at least as many idle connections as may be open, or curl closes and reopens them.
  const long keep = static_cast<long>(std::max(options_.connections, options_.max_in_flight));
  multi_set(m, CURLMOPT_MAXCONNECTS, keep, "MAXCONNECTS");
  multi_set(m, CURLMOPT_MAX_CONCURRENT_STREAMS, static_cast<long>(std::max(1u, options_.streams)),
            "MAX_CONCURRENT_STREAMS");

  // The SSL session cache is per easy handle unless shared; connections and DNS are already
  // shared inside one multi. CURL_LOCK_DATA_CONNECT is not shared: it adds nothing within one
  // multi and is not thread-safe on 7.88. One thread uses the share, so no lock callbacks.
  impl_->share.reset(curl_share_init());
  if (!impl_->share) throw Error(Errc::network, "curl_share_init failed");
  curl_share_setopt(impl_->share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  curl_share_setopt(impl_->share.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
}

BatchFetcher::~BatchFetcher() {
  // Easy handles must leave the multi before either is cleaned up.
  for (auto& t : impl_->slots)
    if (t->active) curl_multi_remove_handle(impl_->multi.get(), t->easy.get());
  impl_->slots.clear();
}

namespace {

// Slots are made lazily, up to the window, and kept for the next batch (their settings too).
Transfer& new_slot(BatchFetcher::Impl& im, const HttpOptions& o) {
  auto t = std::make_unique<Transfer>();
  t->easy.reset(curl_easy_init());
  if (!t->easy) throw Error(Errc::network, "curl_easy_init failed");
  CURL* e = t->easy.get();
  easy_set(e, CURLOPT_SHARE, im.share.get(), "SHARE");
  easy_set(e, CURLOPT_PRIVATE, static_cast<void*>(t.get()), "PRIVATE");
  easy_set(e, CURLOPT_WRITEFUNCTION, &on_body, "WRITEFUNCTION");
  easy_set(e, CURLOPT_WRITEDATA, static_cast<void*>(t.get()), "WRITEDATA");
  easy_set(e, CURLOPT_ERRORBUFFER, t->errbuf, "ERRORBUFFER");
  easy_set(e, CURLOPT_NOSIGNAL, 1L, "NOSIGNAL");
  easy_set(e, CURLOPT_PROTOCOLS_STR, "http,https", "PROTOCOLS_STR");
  easy_set(e, CURLOPT_FOLLOWLOCATION, 1L, "FOLLOWLOCATION");
  easy_set(e, CURLOPT_MAXREDIRS, 10L, "MAXREDIRS");
  easy_set(e, CURLOPT_HTTP_VERSION,
           o.version == HttpOptions::Version::http1_1 ? static_cast<long>(CURL_HTTP_VERSION_1_1)
                                                      : static_cast<long>(CURL_HTTP_VERSION_2TLS),
           "HTTP_VERSION");
  easy_set(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout * 1000), "CONNECTTIMEOUT_MS");
  easy_set(e, CURLOPT_HEADERFUNCTION, &on_header, "HEADERFUNCTION");
  easy_set(e, CURLOPT_HEADERDATA, static_cast<void*>(t.get()), "HEADERDATA");
  easy_set(e, CURLOPT_PREREQFUNCTION, &on_prereq, "PREREQFUNCTION");
  easy_set(e, CURLOPT_PREREQDATA, static_cast<void*>(t.get()), "PREREQDATA");
  easy_set(e, CURLOPT_BUFFERSIZE, static_cast<long>(o.buffer_size), "BUFFERSIZE");
  if (!o.ca_file.empty()) easy_set(e, CURLOPT_CAINFO, o.ca_file.c_str(), "CAINFO");
  im.slots.push_back(std::move(t));
  return *im.slots.back();
}

// Per-request settings of a reused handle; every one is set each time so nothing of the previous
// request (a method, a body, headers) leaks into this one.
void configure_request(Transfer& t) {
  CURL* e = t.easy.get();
  const HttpRequest& r = t.req;
  easy_set(e, CURLOPT_URL, r.url.c_str(), "URL");
  easy_set(e, CURLOPT_HTTPGET, 1L, "HTTPGET");  // resets NOBODY, POST and upload state
  if (r.head || r.method == "HEAD") easy_set(e, CURLOPT_NOBODY, 1L, "NOBODY");
  if (!r.body.empty() || r.method == "PUT" || r.method == "POST") {
    easy_set(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()), "POSTFIELDSIZE_LARGE");
    easy_set(e, CURLOPT_POSTFIELDS, r.body.empty() ? "" : reinterpret_cast<const char*>(r.body.data()), "POSTFIELDS");
  }
  const bool custom = !r.method.empty() && r.method != "GET" && r.method != "HEAD" && r.method != "POST";
  easy_set(e, CURLOPT_CUSTOMREQUEST, custom ? r.method.c_str() : nullptr, "CUSTOMREQUEST");
  t.request_headers.reset();
  curl_slist* list = nullptr;
  // No "Expect: 100-continue" round trip before a body: the store's answer comes anyway.
  if (!r.body.empty()) list = curl_slist_append(list, "Expect:");
  for (const auto& h : r.headers) {
    curl_slist* more = curl_slist_append(list, h.c_str());
    if (!more) {
      curl_slist_free_all(list);
      throw Error(Errc::network, describe(r) + ": out of memory for request headers");
    }
    list = more;
  }
  t.request_headers.reset(list);
  easy_set(e, CURLOPT_HTTPHEADER, list, "HTTPHEADER");
  std::string range;
  if (r.range_length) range = std::to_string(r.range_first) + "-" + std::to_string(r.range_first + r.range_length - 1);
  easy_set(e, CURLOPT_RANGE, range.empty() ? nullptr : range.c_str(), "RANGE");
}

using MakeFn = std::function<HttpRequest(std::size_t)>;
using DoneFn = std::function<void(std::size_t, const HttpRequest&, HttpResponse&&)>;

// One run() of the fetcher: fills the window, drives the multi, retries, detects stalls.
class Batch {
 public:
  Batch(BatchFetcher::Impl& im, const HttpOptions& o, FetchStats* stats, std::size_t count, const MakeFn& make,
        const DoneFn& done, std::size_t window)
      : im_(im), o_(o), stats_(stats), count_(count), make_(make), done_(done), batch_window_(window) {}
  // On any exit (done() threw, retries ran out) the handles leave the multi so the next batch
  // starts clean; connections stay in the multi's pool.
  ~Batch() {
    for (auto& t : im_.slots)
      if (t->active) {
        curl_multi_remove_handle(im_.multi.get(), t->easy.get());
        t->active = false;
      }
  }

  void run() {
    for (;;) {
      fill_window();
      if (active_ == 0 && retries_.empty() && next_ >= count_) return;
      int running = 0;
      CURLMcode mc = curl_multi_perform(im_.multi.get(), &running);
      if (mc != CURLM_OK) throw Error(Errc::network, std::string("curl_multi_perform: ") + curl_multi_strerror(mc));
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(im_.multi.get(), &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        void* priv = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        finish(*static_cast<Transfer*>(priv), msg->data.result);
      }
      abandon_stalled();
      measure_rtt();
      wait(running);
    }
  }

 private:
  struct Retry {
    std::size_t index;
    HttpRequest req;
    unsigned attempt;
  };

  Transfer* free_slot();
  std::size_t limit() const { return batch_window_ ? std::min<std::size_t>(batch_window_, im_.window) : im_.window; }
  std::size_t admit();
  void set_connections(unsigned n);
  void set_streams(long per_connection);
  void measure_rtt();
  void learn(const Transfer& t, long version);
  void retarget();
  void fill_window();
  void start(Transfer& t, std::size_t index, HttpRequest req, unsigned attempt);
  void finish(Transfer& t, CURLcode result);
  void record(const Transfer& t, long status, long version, long connects, const std::string& why);
  void abandon_stalled();
  void wait(int running);

  BatchFetcher::Impl& im_;
  const HttpOptions& o_;
  FetchStats* stats_;
  std::size_t count_;
  const MakeFn& make_;
  const DoneFn& done_;
  std::size_t batch_window_;
  std::size_t active_ = 0, next_ = 0;
  std::multimap<double, Retry> retries_;  // by the time they may start
};

Transfer* Batch::free_slot() {
  for (auto& t : im_.slots)
    if (!t->active) return t.get();
  if (im_.slots.size() < im_.cap && (next_ < count_ || !retries_.empty())) return &new_slot(im_, o_);
  return nullptr;
}

void Batch::set_connections(unsigned n) {
  im_.connections = n;
  multi_set(im_.multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(n), "MAX_HOST_CONNECTIONS");
  multi_set(im_.multi.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(n), "MAX_TOTAL_CONNECTIONS");
}

void Batch::set_streams(long per_connection) {
  multi_set(im_.multi.get(), CURLMOPT_MAX_CONCURRENT_STREAMS, std::max(1L, per_connection), "MAX_CONCURRENT_STREAMS");
}

// The first connect of the fetcher is its round trip (an IP literal needs no resolving; curl 7.88
// reports CONNECT only once TLS is done too, so this is at most two round trips late).
void Batch::measure_rtt() {
  if (im_.rtt >= 0) return;
  for (auto& t : im_.slots) {
    curl_off_t connect_us = 0;
    if (t->active && curl_easy_getinfo(t->easy.get(), CURLINFO_CONNECT_TIME_T, &connect_us) == CURLE_OK && connect_us > 0) {
      im_.rtt = static_cast<double>(connect_us) / 1e6;
      return retarget();
    }
  }
}

// How many requests may be in flight now. HTTP/2 opens its connections first (Impl::Warm): libcurl
// 7.88 would otherwise open one connection per stream added after the first connection's streams
// are taken and before the server's SETTINGS arrive (157 connections for 256 streams at 1 s RTT).
// Warm-up requests are real requests, one per connection (one stream per connection while they open).
std::size_t Batch::admit() {
  using W = BatchFetcher::Impl::Warm;
  if (im_.warm == W::warm) return limit();
  if (im_.warm == W::cold) {
    set_streams(1);
    if (o_.connections) {
      im_.warm = W::opening;
      return std::min<std::size_t>(limit(), im_.connections);
    }
    im_.warm = W::probing;
    if (im_.rtt < 0) return 1;
  }
  if (im_.warm == W::probing) {
    measure_rtt();
    if (im_.rtt < 0 && active_ > 0) return active_;  // hold until the first handshake measured the link
    unsigned n = 1;
    if (im_.rtt >= 0 && im_.rate > 0)
      n = connections_for_link({im_.rtt, im_.rate}, std::max(im_.window, im_.cap), kMaxLinkConnections);
    set_connections(n);
    im_.warm = W::opening;
    return std::min<std::size_t>(limit(), n);
  }
  for (auto& t : im_.slots)
    if (t->active && t->sent_at < 0) return active_;  // a connection is still in its handshakes
  im_.warm = W::warm;
  set_streams(std::min<long>(o_.streams, (im_.window + im_.connections - 1) / std::max(1u, im_.connections)));
  return limit();
}

// What a finished transfer says about the link: the mean answer, the throughput, the protocol.
void Batch::learn(const Transfer& t, long version) {
  if (!t.body.empty()) im_.body_bytes += t.body.size(), ++im_.bodies;
  im_.meter_bytes += t.body.size();
  const double now = steady_seconds();
  if (im_.meter_start == 0) im_.meter_start = now;
  // A round trip at least, so a burst of answers that arrived together is not taken for a rate.
  if (const double span = now - im_.meter_start; im_.rtt > 0 && span >= std::max(im_.rtt, 0.2)) {
    im_.rate = im_.rate > 0 ? grown_rate(im_.rate, im_.meter_bytes, span) : 0;
    im_.meter_start = now, im_.meter_bytes = 0;
  }
  // `any` answered over HTTP/1.1: one request per connection, so the window is the connection count.
  if (version == CURL_HTTP_VERSION_1_1 && !o_.connections && im_.connections) set_connections(0);
  retarget();
}

// The window the link model wants now; it only grows (a slow phase may be the decoders or a seed).
void Batch::retarget() {
  if (im_.rate <= 0 || im_.rtt < 0) return;
  const double mean = im_.bodies ? static_cast<double>(im_.body_bytes) / static_cast<double>(im_.bodies) : o_.expected_body;
  const unsigned want = window_for_link({im_.rtt, im_.rate}, mean, o_.in_flight, im_.cap);
  if (want <= im_.window) return;
  im_.window = want;
  if (im_.warm == BatchFetcher::Impl::Warm::warm && im_.connections && o_.version != HttpOptions::Version::http1_1)
    set_streams(std::min<long>(o_.streams, (want + im_.connections - 1) / im_.connections));
}

// Due retries first, then new requests, up to the window.
void Batch::fill_window() {
  const std::size_t allowed = admit();
  while (active_ < allowed) {
    const bool retry_due = !retries_.empty() && retries_.begin()->first <= steady_seconds();
    if (!retry_due && next_ >= count_) return;
    Transfer* slot = free_slot();
    if (!slot) return;
    if (retry_due) {
      Retry r = std::move(retries_.begin()->second);
      retries_.erase(retries_.begin());
      start(*slot, r.index, std::move(r.req), r.attempt);
    } else {
      start(*slot, next_, make_(next_), 0);
      ++next_;
    }
  }
}

void Batch::start(Transfer& t, std::size_t index, HttpRequest req, unsigned attempt) {
  CURL* e = t.easy.get();
  t.index = index;
  t.req = std::move(req);
  t.attempt = attempt;
  t.body.clear();
  t.headers.clear();
  t.too_big = false;
  t.stalled = false;
  t.errbuf[0] = 0;
  t.last_activity = t.added_at = steady_seconds();
  t.sent_at = t.first_at = -1;
  configure_request(t);
  // Once the connections are open, a stream waits for room on one of them rather than opening
  // another; during the warm-up each request opens its own (no effect on HTTP/1.1).
  const bool pipewait = o_.version != HttpOptions::Version::http1_1 && im_.warm == BatchFetcher::Impl::Warm::warm;
  easy_set(e, CURLOPT_PIPEWAIT, pipewait ? 1L : 0L, "PIPEWAIT");
  t.start = stats_ ? stats_->now() : 0;
  CURLMcode rc = curl_multi_add_handle(im_.multi.get(), e);
  if (rc != CURLM_OK) throw Error(Errc::network, describe(t.req) + ": curl_multi_add_handle: " + curl_multi_strerror(rc));
  t.active = true;
  ++active_;
}

void Batch::record(const Transfer& t, long status, long version, long connects, const std::string& why) {
  if (!stats_) return;
  // APPCONNECT: the handshakes this transfer made itself, which are not queueing (no pending
  // queue precedes them, so curl's base for it is the transfer's start).
  curl_off_t own_us = 0;
  if (connects > 0) curl_easy_getinfo(t.easy.get(), CURLINFO_APPCONNECT_TIME_T, &own_us);
  if (connects > 0 && own_us == 0) curl_easy_getinfo(t.easy.get(), CURLINFO_CONNECT_TIME_T, &own_us);  // http://
  RequestRecord r;
  r.url = t.req.url;
  r.method = method_of(t.req);
  r.range_first = t.req.range_first;
  r.range_length = t.req.range_length;
  r.start = t.start;
  r.end = stats_->now();
  r.first_byte = t.first_at >= 0 ? t.start + (t.first_at - t.added_at) : -1;
  r.sent = t.sent_at >= 0 ? t.start + (t.sent_at - t.added_at) : -1;
  r.queue = t.sent_at >= 0 ? std::max(0.0, t.sent_at - t.added_at - static_cast<double>(own_us) / 1e6) : 0;
  r.bytes = t.body.size();
  r.protocol = protocol_name(version);
  r.connects = connects;
  r.reused = connects == 0 && version != 0;
  r.attempt = t.attempt;
  r.status = status;
  r.error = why;
  stats_->add(std::move(r));
}

void Batch::finish(Transfer& t, CURLcode result) {
  CURL* e = t.easy.get();
  curl_multi_remove_handle(im_.multi.get(), e);
  t.active = false;
  --active_;
  long status = 0, version = 0, connects = 0;
  curl_off_t length = -1;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(e, CURLINFO_HTTP_VERSION, &version);
  curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
  curl_easy_getinfo(e, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  const bool transport_error = result != CURLE_OK;
  if (transport_error) status = 0;

  std::string why;
  if (t.stalled)
    why = std::string(curl_easy_strerror(result)) + " (no byte for " + std::to_string(o_.stall_timeout) + " s: stalled)";
  else if (transport_error)
    why = t.too_big ? "response larger than " + std::to_string(t.req.max_body) + " bytes"
                    : std::string(curl_easy_strerror(result)) + (t.errbuf[0] ? std::string(" (") + t.errbuf + ")" : "");
  else if (status >= 500)
    why = "HTTP status " + std::to_string(status);
  record(t, status, version, connects, why);
  if (connects > 0 && im_.rtt < 0) {
    curl_off_t connect_us = 0;
    if (curl_easy_getinfo(e, CURLINFO_CONNECT_TIME_T, &connect_us) == CURLE_OK && connect_us > 0)
      im_.rtt = static_cast<double>(connect_us) / 1e6;
  }
  if (!transport_error) learn(t, version);

  if (t.too_big) throw Error(Errc::invalid_input, describe(t.req) + ": " + why);
  const long want_version = o_.version == HttpOptions::Version::http1_1 ? CURL_HTTP_VERSION_1_1
                            : o_.version == HttpOptions::Version::http2  ? CURL_HTTP_VERSION_2_0
                                                                          : 0;
  if (!transport_error && want_version && version != want_version)
    throw Error(Errc::network, describe(t.req) + ": the server answered over HTTP/" + protocol_name(version) +
                                   " although HTTP/" + version_name(o_.version) + " was required");
  if (!why.empty()) {
    if (transport_error && !retryable(result)) throw Error(Errc::network, describe(t.req) + ": " + why);
    if (t.attempt >= o_.retries)
      throw Error(Errc::network, describe(t.req) + ": " + why + " (after " + std::to_string(t.attempt + 1) +
                                     (t.attempt ? " attempts)" : " attempt)"));
    double wait = std::min(o_.retry_cap, o_.retry_base * std::ldexp(1.0, static_cast<int>(t.attempt)));
    wait *= std::uniform_real_distribution<double>(0.5, 1.0)(im_.rng);  // jitter: retries do not arrive in step
    retries_.emplace(steady_seconds() + wait, Retry{t.index, t.req, t.attempt + 1});
    return;
  }
  if (t.req.range_length && status == 200)
    throw Error(Errc::invalid_input, describe(t.req) + ": the server ignored the Range header (status 200)");
  HttpResponse resp;
  resp.status = status;
  resp.body = std::move(t.body);
  t.body = {};
  resp.headers = std::move(t.headers);
  t.headers = {};
  resp.content_length = length > 0 ? static_cast<std::uint64_t>(length) : 0;
  resp.ttfb = t.sent_at >= 0 && t.first_at >= t.sent_at ? t.first_at - t.sent_at : 0;
  done_(t.index, t.req, std::move(resp));
}

// A stalled transfer is abandoned, a slow but moving one never is (no whole-transfer timeout).
// Timed here rather than with CURLOPT_LOW_SPEED_TIME, whose speed is averaged over ~5 s and so
// notices a stall seconds late.
void Batch::abandon_stalled() {
  if (active_ == 0 || o_.stall_timeout <= 0) return;
  const double now = steady_seconds();
  for (auto& t : im_.slots) {
    if (!t->active || now - t->last_activity <= o_.stall_timeout) continue;
    // Not sent yet (waiting for a connection, or connecting, which has its own timeout): the
    // clock starts when the request has gone out.
    if (t->sent_at < 0) {
      t->last_activity = now;
      continue;
    }
    t->stalled = true;
    finish(*t, CURLE_OPERATION_TIMEDOUT);
  }
}

void Batch::wait(int running) {
  if (running > 0) {
    long timeout = -1;
    curl_multi_timeout(im_.multi.get(), &timeout);
    int wait = (timeout < 0 || timeout > kPollCapMs) ? kPollCapMs : static_cast<int>(timeout);
    if (!retries_.empty())
      wait = std::min(wait, std::max(0, static_cast<int>((retries_.begin()->first - steady_seconds()) * 1000)));
    if (wait > 0) curl_multi_poll(im_.multi.get(), nullptr, 0, wait, nullptr);
  } else if (active_ == 0 && !retries_.empty()) {
    double wait = retries_.begin()->first - steady_seconds();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait, 0.05)));
  }
}

}  // namespace

void BatchFetcher::run(std::size_t count, const MakeFn& make, const DoneFn& done, std::size_t window) {
  Batch(*impl_, options_, stats_.get(), count, make, done, window).run();
}

double BatchFetcher::measured_rtt() const { return impl_->rtt; }
double BatchFetcher::link_rate() const { return impl_->rate; }
unsigned BatchFetcher::window() const { return impl_->window; }
unsigned BatchFetcher::connections() const { return impl_->connections; }

HttpResponse BatchFetcher::one(const HttpRequest& request) {
  HttpResponse out;
  run(1, [&](std::size_t) { return request; },
      [&](std::size_t, const HttpRequest&, HttpResponse&& r) { out = std::move(r); });
  return out;
}

}  // namespace chunkbench
