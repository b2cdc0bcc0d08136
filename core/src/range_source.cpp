#include "chunkbench/range_source.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "chunkbench/error.hpp"
#include "chunkbench/http_store.hpp"

namespace chunkbench {

namespace {

constexpr std::uint64_t kSpanBytesInFlight = 64u << 20;

std::string span_name(const std::string& url, const ByteSpan& s) {
  return url + " (bytes " + std::to_string(s.first) + "-" + std::to_string(s.first + s.length - 1) + ")";
}

}  // namespace

HttpRangeSource::HttpRangeSource(std::string image_url, HttpOptions options, std::shared_ptr<FetchStats> stats)
    : HttpRangeSource(std::move(image_url), std::make_shared<BatchFetcher>(std::move(options), std::move(stats))) {}

HttpRangeSource::HttpRangeSource(std::string image_url, std::shared_ptr<BatchFetcher> fetcher)
    : url_(std::move(image_url)), fetcher_(std::move(fetcher)) {
  if (!fetcher_) throw Error(Errc::usage, "image " + url_ + ": no fetcher");
  if (!is_http_url(url_)) throw Error(Errc::usage, "image " + url_ + ": not an http:// or https:// URL");
  if (fetcher_->options().version == HttpOptions::Version::http2 && url_.rfind("http://", 0) == 0)
    throw Error(Errc::usage, "image " + url_ + ": HTTP/2 was required but h2 without TLS (h2c) is not supported");
}

void HttpRangeSource::fetch(
    std::span<const ByteSpan> spans,
    const std::function<void(std::size_t, std::vector<std::uint8_t>&&, const std::string&)>& done) {
  // Bodies in flight are held whole: keep them to about kSpanBytesInFlight.
  std::uint64_t longest = 1;
  for (const auto& s : spans) longest = std::max(longest, s.length);
  const auto window = static_cast<std::size_t>(std::max<std::uint64_t>(1, kSpanBytesInFlight / longest));
  fetcher_->run(
      spans.size(),
      [&](std::size_t i) {
        // A server may answer a little more than asked only by mistake; allow nothing more.
        return HttpRequest::range(url_, spans[i].first, spans[i].length);
      },
      [&](std::size_t i, const HttpRequest&, HttpResponse&& r) {
        const std::string where = span_name(url_, spans[i]);
        if (r.status != 206) throw Error(Errc::network, "GET " + where + ": HTTP status " + std::to_string(r.status));
        done(i, std::move(r.body), where);
      },
      window);
}

CostModel calibrate_cost(CostModel base, HttpStore& store, HttpRangeSource* image, const Index& target,
                         std::span<const std::size_t> positions) {
  double best_ttfb = std::numeric_limits<double>::infinity();
  double raw = 0, stored = 0;
  auto seen = [&](std::size_t i, const HttpResponse& r, bool timed) {
    if (timed && r.ttfb > 0) best_ttfb = std::min(best_ttfb, r.ttfb);
    if (r.status == 200 && r.content_length) {
      raw += static_cast<double>(target.length(positions[i]));
      stored += static_cast<double>(r.content_length);
    }
  };
  auto head = [&](std::size_t i) { return HttpRequest::head_of(store.url_of(target.id(positions[i]))); };
  // The first request pays for TCP and TLS; only the later ones time a round trip.
  if (!positions.empty()) seen(0, store.fetcher().one(head(0)), false);
  if (positions.size() > 1)
    store.fetcher().run(positions.size() - 1, [&](std::size_t i) { return head(i + 1); },
                        [&](std::size_t i, const HttpRequest&, HttpResponse&& r) { seen(i + 1, r, true); });
  if (image) {
    // Twice: the second HEAD rides the connection the first one opened.
    for (int k = 0; k < 2; ++k) {
      HttpResponse r = image->fetcher().one(HttpRequest::head_of(image->name()));
      if (r.status / 100 != 2)
        throw Error(Errc::network, "HEAD " + image->name() + ": HTTP status " + std::to_string(r.status));
      if (k == 1 && r.ttfb > 0) best_ttfb = std::min(best_ttfb, r.ttfb);
    }
  }
  if (std::isfinite(best_ttfb)) base.rtt = best_ttfb, base.measured = true;
  if (raw > 0) base.compression = stored / raw, base.measured = true;
  return base;
}

}  // namespace chunkbench
