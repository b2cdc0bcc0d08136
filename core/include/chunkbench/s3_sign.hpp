#pragma once
// AWS Signature Version 4 for S3 requests (path-style, any S3 implementation: AWS, MinIO, Ceph RGW,
// s3rver), and the resolution of credentials and region from values the caller read. Core reads no
// environment: the CLI passes AWS_* values and $HOME in a CredentialEnv, so tests and libraries can
// sign with explicit values and nothing else leaks in.
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chunkbench::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // STS credentials only; sent as x-amz-security-token
};

// The environment variables the AWS SDKs read, as the caller found them ("" when unset).
struct CredentialEnv {
  std::string access_key_id;          // AWS_ACCESS_KEY_ID
  std::string secret_access_key;      // AWS_SECRET_ACCESS_KEY
  std::string session_token;          // AWS_SESSION_TOKEN
  std::string region;                 // AWS_REGION
  std::string default_region;         // AWS_DEFAULT_REGION
  std::string profile;                // AWS_PROFILE ("default" when empty)
  std::string shared_credentials_file;  // AWS_SHARED_CREDENTIALS_FILE (else $HOME/.aws/credentials)
  std::string config_file;            // AWS_CONFIG_FILE (else $HOME/.aws/config)
  std::string home;                   // HOME
};

struct ResolvedCredentials {
  Credentials credentials;
  std::string region;
  std::string source;  // "environment" or the credentials file's path, for messages (never a secret)
};

// Keys from the environment when both are set, else from the profile of the shared credentials
// file; region from AWS_REGION, AWS_DEFAULT_REGION, the profile's `region` in the config file, else
// "us-east-1". Throws Errc::invalid_input naming the file and line for a malformed file, and
// Errc::not_found when no credentials are found anywhere (the message lists where it looked).
ResolvedCredentials resolve_credentials(const CredentialEnv& env);

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters (A-Z a-z 0-9 - _ . ~) stay,
// everything else becomes %XX (upper case); '/' stays when `keep_slash` (object key paths).
std::string uri_encode(std::string_view s, bool keep_slash);
// The canonical query string: every key and value encoded, pairs sorted by key then value, joined
// with '&'. The same string is sent, so what is signed is what the server sees.
std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query);
std::string sha256_hex(std::span<const std::uint8_t> data);
std::string sha256_hex(std::string_view data);
// "20130524T000000Z"
std::string amz_date(std::chrono::system_clock::time_point t);

struct SigningInput {
  std::string method;        // GET, HEAD, PUT, DELETE, ...
  std::string host;          // as sent in the Host header, with ":port" unless the default
  std::string path;          // already encoded (uri_encode(path, true)); sent as is
  std::vector<std::pair<std::string, std::string>> query;    // raw keys and values
  std::vector<std::pair<std::string, std::string>> headers;  // further headers to sign (range, x-amz-meta-*, ...)
  std::string payload_hash = std::string(kEmptySha256);      // hex SHA-256 of the body, or UNSIGNED-PAYLOAD
  std::chrono::system_clock::time_point time;
  // S3 requires x-amz-content-sha256; the generic SigV4 test suite does not send it.
  bool content_sha256_header = true;
};

struct Signed {
  std::string amz_date;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;range;x-amz-content-sha256;x-amz-date"
  std::string signature;       // hex
  std::string authorization;   // the Authorization header value
  // Every header to send besides Host: x-amz-date, x-amz-content-sha256, x-amz-security-token,
  // the caller's signed headers, and Authorization. Names in lower case.
  std::vector<std::pair<std::string, std::string>> headers;
};

Signed sign(const SigningInput& in, const Credentials& creds, const std::string& region,
            const std::string& service = "s3");

}  // namespace chunkbench::s3
