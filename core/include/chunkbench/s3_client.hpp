#pragma once
// A small S3 client over the shared BatchFetcher (one libcurl multi): signed GET/HEAD/PUT/DELETE
// and ListObjectsV2 with paging, path-style, so it talks to AWS, MinIO, Ceph RGW and s3rver alike.
// Batches run concurrently through the fetcher's window; transport errors and 5xx are retried by
// the fetcher. Every other failure names the method, the URL and S3's error code (403
// AccessDenied, SignatureDoesNotMatch, ...). No secret ever appears in a message.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chunkbench/fetcher.hpp"
#include "chunkbench/s3_sign.hpp"
#include "chunkbench/s3_xml.hpp"

namespace chunkbench::s3 {

// s3+https://HOST[:PORT]/BUCKET[/PREFIX] (also s3+http). The prefix is "" or ends in '/'.
struct Endpoint {
  bool https = true;
  std::string host;    // with ":port" when given
  std::string bucket;
  std::string prefix;

  // Throws Errc::usage naming the spec when it is not of that form.
  static Endpoint parse(const std::string& spec);
  std::string spec() const;  // back to s3+https://...
  // The URL of an object of the bucket (key relative to the bucket, not to the prefix).
  std::string url(const std::string& key) const;
};

// One request as the client sent it, for tests that re-verify every signature independently.
struct SentRequest {
  std::string method, url;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names, as sent (with authorization)
  std::string body_sha256;
};

struct ClientOptions {
  Credentials credentials;
  std::string region = "us-east-1";
  std::size_t max_body = 0;  // largest GET body accepted (0: no limit)
  // Test hook: sees every request after signing, on the thread that builds it.
  std::function<void(const SentRequest&)> on_request;
};

struct ObjectInfo {
  std::uint64_t size = 0;
  std::int64_t last_modified = 0;
  std::string etag;
  std::map<std::string, std::string> metadata;  // user metadata, names lower-case without "x-amz-meta-"
};

struct PutItem {
  std::string key;
  std::span<const std::uint8_t> body;
  std::map<std::string, std::string> metadata;  // sent as x-amz-meta-NAME
};

class Client {
 public:
  Client(Endpoint endpoint, ClientOptions options, std::shared_ptr<BatchFetcher> fetcher);

  const Endpoint& endpoint() const { return endpoint_; }
  // The same bucket, credentials and fetcher with another (bucket-relative) prefix.
  std::shared_ptr<Client> at(std::string prefix) const;
  BatchFetcher& fetcher() { return *fetcher_; }

  // A signed request for `key` (relative to the bucket).
  HttpRequest request(const std::string& method, const std::string& key,
                      const std::vector<std::pair<std::string, std::string>>& query = {},
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      std::vector<std::uint8_t> body = {}) const;

  std::optional<std::vector<std::uint8_t>> get(const std::string& key);
  std::optional<ObjectInfo> head(const std::string& key);
  void put(const std::string& key, std::span<const std::uint8_t> body, const std::map<std::string, std::string>& metadata = {});
  // Deleting a missing key succeeds (S3 semantics).
  void remove(const std::string& key);

  // Concurrent forms; answers in the order of the input.
  std::vector<std::optional<ObjectInfo>> head_many(const std::vector<std::string>& keys);
  void put_many(std::span<const PutItem> items);
  void remove_many(const std::vector<std::string>& keys);

  // ListObjectsV2 of every key under `prefix`, page by page (up to 1000 keys each).
  // With a delimiter, `on_prefix` gets the common prefixes ("directories").
  // `page_size` 0: the server's default (1000 on AWS).
  void list(const std::string& prefix, const std::function<void(const ListedObject&)>& on_object,
            const std::string& delimiter = "", const std::function<void(const std::string&)>& on_prefix = {},
            unsigned page_size = 0);
  // One page only: for estimating how large a listing would be. `max_keys` 0: the server's default.
  ListPage list_page(const std::string& prefix, const std::string& token = "", unsigned max_keys = 0,
                     const std::string& delimiter = "");

 private:
  [[noreturn]] void fail(const HttpRequest& req, const HttpResponse& resp) const;
  void check(const HttpRequest& req, const HttpResponse& resp, bool allow_404) const;

  Endpoint endpoint_;
  ClientOptions options_;
  std::shared_ptr<BatchFetcher> fetcher_;
};

// The object metadata a response carries: x-amz-meta-* headers, lower-case, prefix removed.
std::map<std::string, std::string> user_metadata(const HttpResponse& resp);

}  // namespace chunkbench::s3
