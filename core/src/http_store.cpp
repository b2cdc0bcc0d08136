#include "chunkbench/http_store.hpp"

#include "chunkbench/error.hpp"

namespace chunkbench {

bool is_http_url(const std::string& s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

HttpStore::HttpStore(std::string base_url, bool compressed, HttpOptions options, std::shared_ptr<FetchStats> stats,
                     std::size_t max_body)
    : HttpStore(std::move(base_url), compressed, std::make_shared<BatchFetcher>(std::move(options), std::move(stats)),
                max_body) {}

HttpStore::HttpStore(std::string base_url, bool compressed, std::shared_ptr<BatchFetcher> fetcher, std::size_t max_body)
    : base_(std::move(base_url)), layout_{compressed}, max_body_(max_body), fetcher_(std::move(fetcher)) {
  if (!fetcher_) throw Error(Errc::usage, "store " + base_ + ": no fetcher");
  if (!is_http_url(base_)) throw Error(Errc::usage, "store " + base_ + ": not an http:// or https:// URL");
  // desync's rule: the store URL is a directory, chunk paths resolve below it.
  if (base_.back() != '/') base_ += '/';
  if (fetcher_->options().version == HttpOptions::Version::http2 && base_.rfind("http://", 0) == 0)
    throw Error(Errc::usage, "store " + base_ + ": HTTP/2 was required but h2 without TLS (h2c) is not supported");
}

std::string HttpStore::url_of(const ChunkId& id) const { return base_ + layout_.path(id); }

bool HttpStore::has(const ChunkId& id) {
  HttpRequest req = HttpRequest::head_of(url_of(id));
  HttpResponse r = fetcher_->one(req);
  if (r.status == 404) return false;
  if (r.status / 100 == 2) return true;
  throw Error(Errc::network, "HEAD " + req.url + ": HTTP status " + std::to_string(r.status));
}

std::vector<bool> HttpStore::has_batch(std::span<const ChunkId> ids) {
  std::vector<bool> out(ids.size(), false);
  fetcher_->run(
      ids.size(), [&](std::size_t i) { return HttpRequest::head_of(url_of(ids[i])); },
      [&](std::size_t i, const HttpRequest& req, HttpResponse&& r) {
        if (r.status / 100 == 2) out[i] = true;
        else if (r.status != 404) throw Error(Errc::network, "HEAD " + req.url + ": HTTP status " + std::to_string(r.status));
      });
  return out;
}

std::optional<ChunkData> HttpStore::get(const ChunkId& id) {
  HttpRequest req = HttpRequest::get(url_of(id), max_body_);
  HttpResponse r = fetcher_->one(req);
  if (r.status == 404) return std::nullopt;
  if (r.status != 200) throw Error(Errc::network, "GET " + req.url + ": HTTP status " + std::to_string(r.status));
  return ChunkData{std::move(r.body), layout_.compressed};
}

void HttpStore::fetch(std::span<const ChunkId> ids, ChunkSink& sink) {
  fetcher_->run(
      ids.size(), [&](std::size_t i) { return HttpRequest::get(url_of(ids[i]), max_body_); },
      [&](std::size_t i, const HttpRequest& req, HttpResponse&& r) {
        if (r.status == 404) return sink.missing(i);
        if (r.status != 200) throw Error(Errc::network, "GET " + req.url + ": HTTP status " + std::to_string(r.status));
        sink.chunk(i, ChunkData{std::move(r.body), layout_.compressed}, req.url);
      });
}

}  // namespace chunkbench
