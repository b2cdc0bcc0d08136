#pragma once
// The two XML documents an S3 client reads: a ListObjectsV2 page (ListBucketResult) and an error
// body (<Error><Code>…). Parsed with expat, strictly: a malformed page is an error naming the URL,
// never a silently shorter listing (a pruner that misses half a listing would keep garbage; one
// that misreads keys could delete live chunks).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chunkbench::s3 {

struct ListedObject {
  std::string key;
  std::uint64_t size = 0;
  std::int64_t last_modified = 0;  // seconds since the epoch (UTC)
  std::string etag;
};

struct ListPage {
  std::vector<ListedObject> objects;
  std::vector<std::string> common_prefixes;  // with a delimiter: the "directories"
  bool truncated = false;
  std::string next_continuation_token;
};

ListPage parse_list_page(std::string_view xml, const std::string& where);

struct ErrorBody {
  std::string code;     // "NoSuchKey", "AccessDenied", "SignatureDoesNotMatch", ...
  std::string message;
};
// Best effort: empty fields when the body is not an S3 error document (e.g. a proxy's HTML page).
ErrorBody parse_error_body(std::string_view xml);

// "2026-12-03T17:10:16.000Z" -> seconds since the epoch; throws Errc::invalid_input naming `where`.
std::int64_t parse_iso8601(std::string_view text, const std::string& where);

}  // namespace chunkbench::s3
