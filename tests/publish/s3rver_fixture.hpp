#pragma once
// s3rver (npm, installed into tools/ by setup) on a free loopback port in a temporary directory,
// killed and reaped when the fixture ends, even when a test fails. Every request our client sends
// is recorded through the client's test hook and re-verified by botocore (sigv4_check.py): s3rver
// checks only the access key id of a SigV4 request (its V4 check is unimplemented).
#include <chrono>
#include <fstream>
#include <memory>
#include <mutex>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../remote/remote_harness.hpp"
#include "chunkbench/publish/process.hpp"
#include "chunkbench/s3_client.hpp"

namespace chunkbench::test {

class S3rver {
 public:
  static std::string script() { return std::string(CHUNKBENCH_SOURCE_DIR) + "/tools/node_modules/s3rver/bin/s3rver.js"; }
  static bool available() {
    return ::access(script().c_str(), R_OK) == 0 && publish::run_process({"sh", "-c", "command -v node"}).status == 0;
  }

  explicit S3rver(const std::vector<std::string>& buckets) {
    // s3rver's ListObjectsV2 continuation tokens use DES, which Node >= 17 (OpenSSL 3) only has in
    // the legacy provider; without it every second page is a 500.
    std::vector<std::string> argv{"node", "--openssl-legacy-provider", script(), "-d", dir_ / "data",
                                  "-a", "127.0.0.1", "-p", "0"};
    for (const auto& b : buckets) argv.insert(argv.end(), {"--configure-bucket", b});
    const std::string log = dir_ / "s3rver.log";
    child_ = std::make_unique<Child>(argv, log);
    const std::regex re("listening on [^:]+:([0-9]+)");
    for (int i = 0; i < 300 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::ifstream in(log);
      std::string text((std::istreambuf_iterator<char>(in)), {});
      std::smatch m;
      if (std::regex_search(text, m, re)) port_ = std::stoi(m[1]);
    }
    if (port_ == 0) throw std::runtime_error("s3rver did not start; log: " + log);
  }
  S3rver(const S3rver&) = delete;
  S3rver& operator=(const S3rver&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string spec(const std::string& bucket_and_prefix) const { return "s3+http://" + host() + "/" + bucket_and_prefix; }

 private:
  TempDir dir_;
  std::unique_ptr<Child> child_;  // killed and reaped with the fixture
  int port_ = 0;
};

// Records every request a client sends; check() has botocore re-verify each signature.
class SignatureLog {
 public:
  static constexpr const char* kKey = "S3RVER";
  static constexpr const char* kSecret = "S3RVER";
  static constexpr const char* kRegion = "us-east-1";

  s3::ClientOptions options() {
    s3::ClientOptions o;
    o.credentials = {kKey, kSecret, ""};
    o.region = kRegion;
    o.on_request = [this](const s3::SentRequest& r) {
      std::lock_guard<std::mutex> lock(mu_);
      nlohmann::json headers = nlohmann::json::object();
      for (const auto& [k, v] : r.headers) headers[k] = v;
      requests_.push_back({{"method", r.method}, {"url", r.url}, {"headers", headers}, {"body_sha256", r.body_sha256}});
    };
    return o;
  }
  std::size_t size() const { return requests_.size(); }
  // Runs sigv4_check.py over everything recorded; fails the test on any bad signature.
  void check() {
    TempDir dir;
    nlohmann::json doc = {{"access_key", kKey}, {"secret_key", kSecret}, {"session_token", ""}, {"region", kRegion},
                          {"requests", requests_}};
    const std::string text = doc.dump();
    write_file(dir / "requests.json", std::vector<std::uint8_t>(text.begin(), text.end()));
    auto r = publish::run_process({"python3", SIGV4_CHECK, dir / "requests.json"});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_FALSE(requests_.empty());
  }

 private:
  std::mutex mu_;
  nlohmann::json requests_ = nlohmann::json::array();
};

}  // namespace chunkbench::test
