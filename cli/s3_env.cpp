#include <cstdlib>

#include "chunkbench/error.hpp"
#include "common.hpp"

namespace chunkbench::cli {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

// The CLI is where the environment is read; core gets the values (s3::CredentialEnv).
std::optional<s3::ResolvedCredentials> s3_credentials_from_env(bool required) {
  s3::CredentialEnv e{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN"),
                      env("AWS_REGION"),        env("AWS_DEFAULT_REGION"),    env("AWS_PROFILE"),
                      env("AWS_SHARED_CREDENTIALS_FILE"), env("AWS_CONFIG_FILE"), env("HOME")};
  try {
    return s3::resolve_credentials(e);
  } catch (const Error& err) {
    if (err.code() == Errc::not_found && !required) return std::nullopt;
    throw;
  }
}

}  // namespace chunkbench::cli

namespace chunkbench::cli {

std::shared_ptr<s3::Client> open_s3_client(const std::string& spec, const Args& args) {
  auto creds = *s3_credentials_from_env(true);
  HttpOptions http = http_options(args);
  http.in_flight = static_cast<unsigned>(args.get_int("concurrency", 16, 1, 4096));
  return std::make_shared<s3::Client>(s3::Endpoint::parse(spec), s3::ClientOptions{creds.credentials, creds.region, 0, {}},
                                      std::make_shared<BatchFetcher>(http, nullptr));
}

}  // namespace chunkbench::cli
