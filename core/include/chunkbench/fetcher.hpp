#pragma once
// BatchFetcher: one libcurl multi handle, driven by the calling thread, runs a batch of GET/HEAD
// requests (whole files or byte ranges) through a bounded window of reused easy handles. Knobs are
// the ones the protocol comparison varies: HTTP version (forced and checked on every transfer),
// requests in flight, connections, h2 streams per connection. Transport errors and 5xx are retried
// with capped exponential backoff and jitter; every error names the URL. Bodies are handed to the
// caller's callback on the fetching thread, so decoding must be done elsewhere (the assembler's
// workers) to keep the transfer loop free.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chunkbench/fetch_stats.hpp"

namespace chunkbench {

struct HttpOptions {
  enum class Version { any, http1_1, http2 };
  Version version = Version::any;  // any: h2 when ALPN offers it, else HTTP/1.1
  unsigned in_flight = 64;         // requests added to the multi at once (the window)
  // Per host and in total. 0: HTTP/1.1 opens as many as the window needs; HTTP/2 (and `any`) opens
  // what connections_for_link() says for the round trip of the first connection, 1 without a link
  // rate. For HTTP/2 the connections are opened deliberately before streams are spread over them
  // (never one per stream while the server's SETTINGS are on their way).
  unsigned connections = 0;
  unsigned streams = 100;          // h2 streams per connection (CURLMOPT_MAX_CONCURRENT_STREAMS)
  unsigned retries = 3;            // extra attempts after a transport error or a 5xx
  double retry_base = 0.1;         // seconds before the first retry, doubled each time
  double retry_cap = 2.0;          // longest wait between attempts
  double connect_timeout = 10;     // seconds for TCP + TLS
  double stall_timeout = 30;       // seconds without a body byte before the transfer is abandoned
  std::string ca_file;             // PEM bundle to trust instead of the system's; verification stays on
  std::size_t buffer_size = 256 * 1024;  // CURLOPT_BUFFERSIZE: fewer h2 pauses and syscalls
  // The link model (link_model.hpp). With link_rate > 0 the window follows the link: in_flight is
  // where it starts, window_for_link(measured RTT, rate, mean body) where it goes once the first
  // connection has measured the round trip, growing with the measured throughput; max_in_flight
  // bounds it (memory). 0: the window stays at in_flight.
  double link_rate = 0;            // bytes per second, the estimate before anything is measured
  unsigned max_in_flight = 0;      // 0: in_flight
  double expected_body = 0;        // bytes per answer until answers arrive (e.g. the mean chunk)
  // A known round trip (seconds; <= 0: unknown): HTTP/2 then opens its connections at once instead
  // of measuring the first one's handshake (which curl 7.88 reports only with TLS, 2 round trips).
  double rtt_hint = 0;
};

const char* version_name(HttpOptions::Version v) noexcept;
// "1.1", "2", "any"; throws a usage error otherwise.
HttpOptions::Version parse_http_version(const std::string& s);

struct HttpRequest {
  std::string url;
  bool head = false;
  std::uint64_t range_first = 0, range_length = 0;  // range_length 0: the whole file
  std::size_t max_body = 0;                          // 0: no limit; larger bodies are an error
  // Any other method (PUT, POST, DELETE, ...) for stores that write; empty: GET, or HEAD when
  // `head` is set. Kept beside `head` so reading callers stay one aggregate initialiser.
  std::string method;
  std::vector<std::string> headers;   // extra request headers, "Name: value"
  std::vector<std::uint8_t> body;     // uploaded as the request body (sent again on a retry)

  static HttpRequest get(std::string url, std::size_t max_body = 0);
  static HttpRequest head_of(std::string url);
  // Bytes [first, first + length) of `url`; a body longer than asked is an error.
  static HttpRequest range(std::string url, std::uint64_t first, std::uint64_t length);
};

struct HttpResponse {
  long status = 0;
  std::vector<std::uint8_t> body;
  std::uint64_t content_length = 0;  // from the headers (HEAD), 0 when unknown
  double ttfb = 0;                   // seconds from the request going out to its first byte (last attempt)
  // The final response's headers in order, names lower-cased (HTTP/2 sends them so anyway).
  std::vector<std::pair<std::string, std::string>> headers;
  // The first header called `name` (lower-case), or nullptr.
  const std::string* header(const std::string& name) const;
};

// "GET", "HEAD" or the request's own method.
std::string method_of(const HttpRequest& r);

class BatchFetcher {
 public:
  // `stats` may be shared by several fetchers (one per store); null keeps no records.
  BatchFetcher(HttpOptions options, std::shared_ptr<FetchStats> stats);
  ~BatchFetcher();
  BatchFetcher(const BatchFetcher&) = delete;
  BatchFetcher& operator=(const BatchFetcher&) = delete;

  // Runs requests [0, count), built lazily by `make` so that no more than the window exists at once.
  // `done` gets every final answer: 2xx, or a 4xx other than 5xx (404 = missing is the caller's
  // business). A transport error or 5xx that outlives the retries throws Errc::network naming the
  // URL. An exception thrown by `done` stops the batch and propagates (handles are cleaned up).
  // `window` (0: options().in_flight) lowers the requests in flight for this batch, e.g. for
  // large Range spans whose bodies would otherwise hold in_flight x span bytes.
  void run(std::size_t count, const std::function<HttpRequest(std::size_t)>& make,
           const std::function<void(std::size_t, const HttpRequest&, HttpResponse&&)>& done, std::size_t window = 0);
  HttpResponse one(const HttpRequest& request);

  const HttpOptions& options() const { return options_; }
  // What this fetcher measured: the TCP connect time of its first connection (-1 before one), the
  // link rate estimate, its current window and the connections it allows per host (0: unlimited).
  double measured_rtt() const;
  double link_rate() const;
  unsigned window() const;
  unsigned connections() const;
  const std::shared_ptr<FetchStats>& stats() const { return stats_; }

  struct Impl;  // libcurl handles; opaque outside fetcher.cpp

 private:
  HttpOptions options_;
  std::shared_ptr<FetchStats> stats_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chunkbench
