#include "chunkbench/s3_client.hpp"

#include <ctime>

#include "chunkbench/error.hpp"

namespace chunkbench::s3 {
namespace {

std::int64_t parse_http_date(const std::string& s) {
  std::tm tm{};
  if (!::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm)) return 0;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::vector<std::uint8_t> bytes_of(std::span<const std::uint8_t> s) { return {s.begin(), s.end()}; }

ObjectInfo info_of(const HttpResponse& resp) {
  ObjectInfo info;
  info.size = resp.content_length;
  if (const auto* lm = resp.header("last-modified")) info.last_modified = parse_http_date(*lm);
  if (const auto* et = resp.header("etag")) info.etag = *et;
  info.metadata = user_metadata(resp);
  return info;
}

}  // namespace

Endpoint Endpoint::parse(const std::string& spec) {
  Endpoint e;
  std::string rest;
  if (spec.rfind("s3+https://", 0) == 0) {
    rest = spec.substr(11);
  } else if (spec.rfind("s3+http://", 0) == 0) {
    e.https = false;
    rest = spec.substr(10);
  } else {
    throw Error(Errc::usage, "store " + spec + ": not an s3+https:// or s3+http:// URL");
  }
  const auto slash = rest.find('/');
  e.host = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "" : rest.substr(slash + 1);
  const auto bslash = path.find('/');
  e.bucket = path.substr(0, bslash);
  e.prefix = bslash == std::string::npos ? "" : path.substr(bslash + 1);
  if (e.host.empty() || e.host.find('@') != std::string::npos)
    throw Error(Errc::usage, "store " + spec + ": expected s3+https://HOST/BUCKET/PREFIX (no credentials in the URL)");
  if (e.bucket.empty()) throw Error(Errc::usage, "store " + spec + ": no bucket (expected s3+https://HOST/BUCKET/PREFIX)");
  if (e.prefix.find("//") != std::string::npos || (!e.prefix.empty() && e.prefix.front() == '/'))
    throw Error(Errc::usage, "store " + spec + ": empty path segment in the prefix");
  if (!e.prefix.empty() && e.prefix.back() != '/') e.prefix += '/';
  return e;
}

std::string Endpoint::spec() const { return (https ? "s3+https://" : "s3+http://") + host + "/" + bucket + "/" + prefix; }

std::string Endpoint::url(const std::string& key) const {
  return (https ? "https://" : "http://") + host + uri_encode("/" + bucket + (key.empty() ? "" : "/" + key), true);
}

std::map<std::string, std::string> user_metadata(const HttpResponse& resp) {
  std::map<std::string, std::string> meta;
  for (const auto& [name, value] : resp.headers)
    if (name.rfind("x-amz-meta-", 0) == 0) meta[name.substr(11)] = value;
  return meta;
}

Client::Client(Endpoint endpoint, ClientOptions options, std::shared_ptr<BatchFetcher> fetcher)
    : endpoint_(std::move(endpoint)), options_(std::move(options)), fetcher_(std::move(fetcher)) {}

std::shared_ptr<Client> Client::at(std::string prefix) const {
  Endpoint e = endpoint_;
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  e.prefix = std::move(prefix);
  return std::make_shared<Client>(std::move(e), options_, fetcher_);
}

HttpRequest Client::request(const std::string& method, const std::string& key,
                            const std::vector<std::pair<std::string, std::string>>& query,
                            std::vector<std::pair<std::string, std::string>> headers, std::vector<std::uint8_t> body) const {
  SigningInput in;
  in.method = method;
  in.host = endpoint_.host;
  in.path = uri_encode("/" + endpoint_.bucket + (key.empty() ? "" : "/" + key), true);
  in.query = query;
  in.headers = headers;
  in.payload_hash = sha256_hex(body);
  in.time = std::chrono::system_clock::now();
  Signed s = sign(in, options_.credentials, options_.region);

  HttpRequest r;
  r.url = (endpoint_.https ? "https://" : "http://") + endpoint_.host + in.path;
  if (!query.empty()) r.url += "?" + canonical_query(query);
  r.head = method == "HEAD";
  if (method != "GET" && method != "HEAD") r.method = method;
  r.max_body = options_.max_body;
  for (const auto& [k, v] : s.headers) r.headers.push_back(k + ": " + v);
  r.body = std::move(body);
  if (options_.on_request) options_.on_request({method, r.url, s.headers, in.payload_hash});
  return r;
}

void Client::fail(const HttpRequest& req, const HttpResponse& resp) const {
  const std::string body(resp.body.begin(), resp.body.end());
  const ErrorBody e = parse_error_body(body);
  std::string msg = method_of(req) + " " + req.url + ": HTTP " + std::to_string(resp.status);
  if (!e.code.empty()) msg += " " + e.code;
  if (!e.message.empty()) msg += " (" + e.message + ")";
  throw Error(resp.status == 404 ? Errc::not_found : Errc::network, msg);
}

void Client::check(const HttpRequest& req, const HttpResponse& resp, bool allow_404) const {
  if (resp.status >= 200 && resp.status < 300) return;
  if (allow_404 && resp.status == 404) return;
  fail(req, resp);
}

std::optional<std::vector<std::uint8_t>> Client::get(const std::string& key) {
  auto req = request("GET", key);
  auto resp = fetcher_->one(req);
  check(req, resp, true);
  if (resp.status == 404) return std::nullopt;
  return std::move(resp.body);
}

std::optional<ObjectInfo> Client::head(const std::string& key) {
  auto req = request("HEAD", key);
  auto resp = fetcher_->one(req);
  check(req, resp, true);
  if (resp.status == 404) return std::nullopt;
  return info_of(resp);
}

void Client::put(const std::string& key, std::span<const std::uint8_t> body, const std::map<std::string, std::string>& metadata) {
  PutItem item{key, body, metadata};
  put_many(std::span<const PutItem>(&item, 1));
}

void Client::remove(const std::string& key) { remove_many({key}); }

std::vector<std::optional<ObjectInfo>> Client::head_many(const std::vector<std::string>& keys) {
  std::vector<std::optional<ObjectInfo>> out(keys.size());
  fetcher_->run(
      keys.size(), [&](std::size_t i) { return request("HEAD", keys[i]); },
      [&](std::size_t i, const HttpRequest& req, HttpResponse&& resp) {
        check(req, resp, true);
        if (resp.status != 404) out[i] = info_of(resp);
      });
  return out;
}

void Client::put_many(std::span<const PutItem> items) {
  fetcher_->run(
      items.size(),
      [&](std::size_t i) {
        std::vector<std::pair<std::string, std::string>> headers;
        for (const auto& [k, v] : items[i].metadata) headers.emplace_back("x-amz-meta-" + k, v);
        return request("PUT", items[i].key, {}, std::move(headers), bytes_of(items[i].body));
      },
      [&](std::size_t, const HttpRequest& req, HttpResponse&& resp) { check(req, resp, false); });
}

void Client::remove_many(const std::vector<std::string>& keys) {
  fetcher_->run(
      keys.size(), [&](std::size_t i) { return request("DELETE", keys[i]); },
      [&](std::size_t, const HttpRequest& req, HttpResponse&& resp) { check(req, resp, true); });
}

ListPage Client::list_page(const std::string& prefix, const std::string& token, unsigned max_keys,
                           const std::string& delimiter) {
  std::vector<std::pair<std::string, std::string>> q{{"list-type", "2"}, {"prefix", prefix}};
  if (!delimiter.empty()) q.emplace_back("delimiter", delimiter);
  if (!token.empty()) q.emplace_back("continuation-token", token);
  if (max_keys) q.emplace_back("max-keys", std::to_string(max_keys));
  auto req = request("GET", "", q);
  auto resp = fetcher_->one(req);
  check(req, resp, false);
  return parse_list_page(std::string_view(reinterpret_cast<const char*>(resp.body.data()), resp.body.size()), req.url);
}

void Client::list(const std::string& prefix, const std::function<void(const ListedObject&)>& on_object,
                  const std::string& delimiter, const std::function<void(const std::string&)>& on_prefix,
                  unsigned page_size) {
  std::string token;
  do {
    ListPage page = list_page(prefix, token, page_size, delimiter);
    for (const auto& o : page.objects) on_object(o);
    if (on_prefix)
      for (const auto& p : page.common_prefixes) on_prefix(p);
    if (page.truncated && page.next_continuation_token == token)
      throw Error(Errc::invalid_input, endpoint_.url("") + ": listing of " + prefix + " repeats its continuation token");
    token = page.truncated ? page.next_continuation_token : "";
  } while (!token.empty());
}

}  // namespace chunkbench::s3
