// SigV4: AWS's published vectors (the generic SigV4 test suite and the S3 GET example), then a
// cross-check of many request shapes against botocore through sigv4_check.py, and credential
// resolution from environment values and ~/.aws files.
#include "chunkbench/s3_sign.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../core/test_util.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/publish/process.hpp"

namespace chunkbench {
namespace {

using namespace std::chrono;

system_clock::time_point at(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
  return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss};
}

// The aws-sig-v4-test-suite requests (service "service", no x-amz-content-sha256 header).
s3::Signed suite(const std::string& method, const std::string& path, std::vector<std::pair<std::string, std::string>> q) {
  s3::SigningInput in;
  in.method = method;
  in.host = "example.amazonaws.com";
  in.path = path;
  in.query = std::move(q);
  in.time = at(2015, 8, 30, 12, 36, 0);
  in.content_sha256_header = false;
  return s3::sign(in, {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""}, "us-east-1", "service");
}

TEST(S3Sign, AwsTestSuiteVectors) {
  auto v = suite("GET", "/", {});
  EXPECT_EQ(v.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(v.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(suite("GET", "/", {{"Param1", "value1"}}).signature,
            "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb");
  EXPECT_EQ(suite("POST", "/", {}).signature, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  EXPECT_EQ(suite("GET", s3::uri_encode("/\xe1\x88\xb4", true), {}).signature,
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

TEST(S3Sign, AwsS3GetObjectExample) {
  s3::SigningInput in;
  in.method = "GET";
  in.host = "examplebucket.s3.amazonaws.com";
  in.path = "/test.txt";
  in.headers = {{"Range", "bytes=0-9"}};
  in.time = at(2013, 5, 24, 0, 0, 0);
  auto s = s3::sign(in, {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""}, "us-east-1");
  EXPECT_EQ(s.signed_headers, "host;range;x-amz-content-sha256;x-amz-date");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(s.amz_date, "20130524T000000Z");
}

TEST(S3Sign, EncodingAndQuery) {
  EXPECT_EQ(s3::uri_encode("a b/c+d~e", true), "a%20b/c%2Bd~e");
  EXPECT_EQ(s3::uri_encode("a/b", false), "a%2Fb");
  EXPECT_EQ(s3::canonical_query({{"prefix", "sysupdate/store/"}, {"list-type", "2"}, {"continuation-token", "a+b="}}),
            "continuation-token=a%2Bb%3D&list-type=2&prefix=sysupdate%2Fstore%2F");
  EXPECT_EQ(s3::canonical_query({{"b", ""}, {"a", "2"}, {"a", "1"}}), "a=1&a=2&b=");
}

// Request shapes the S3 store sends, each signed here and re-verified by botocore.
TEST(S3Sign, BotocoreAgreesOnEveryRequestShape) {
  test::TempDir dir;
  const s3::Credentials creds{"AKIDTEST", "secret/with+chars=", "FwoGZXIvYXdzEtoken/+="};
  nlohmann::json doc = {{"access_key", creds.access_key_id}, {"secret_key", creds.secret_access_key},
                        {"session_token", creds.session_token}, {"region", "eu-central-1"}, {"requests", nlohmann::json::array()}};
  struct Shape {
    std::string method, key;
    std::vector<std::pair<std::string, std::string>> query, headers;
    std::string body;
    bool unsigned_payload;
  };
  const std::vector<Shape> shapes = {
      {"GET", "kde-linux/testing/sysupdate/v2/SHA256SUMS", {}, {}, "", false},
      {"HEAD", "kde-linux/sysupdate/store/00ab/00ab12.cacnk", {}, {}, "", false},
      {"GET", "kde-linux/a b+c@d=e.iso", {}, {{"Range", "bytes=0-1023"}}, "", false},
      {"PUT", "kde-linux/testing/kde-linux_202603240254.efi", {},
       {{"x-amz-meta-x-kde-sha256", "ab12"}, {"Content-Type", "application/octet-stream"}}, "payload bytes", false},
      {"PUT", "kde-linux/big.erofs", {}, {}, "streamed", true},
      {"DELETE", "kde-linux/testing/kde-linux_202601010000.efi", {}, {}, "", false},
      {"GET", "kde-linux",
       {{"list-type", "2"}, {"prefix", "testing/sysupdate/v2/"}, {"delimiter", "/"}, {"continuation-token", "1/x+y=="}},
       {},
       "",
       false},
      {"GET", "kde-linux", {{"list-type", "2"}, {"prefix", ""}, {"max-keys", "1000"}}, {}, "", false},
  };
  for (const auto& sh : shapes) {
    s3::SigningInput in;
    in.method = sh.method;
    in.host = "127.0.0.1:9000";
    in.path = s3::uri_encode("/" + sh.key, true);
    in.query = sh.query;
    in.headers = sh.headers;
    in.payload_hash = sh.unsigned_payload ? std::string(s3::kUnsignedPayload) : s3::sha256_hex(sh.body);
    in.time = system_clock::now();
    auto s = s3::sign(in, creds, "eu-central-1");
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [k, v] : s.headers) headers[k] = v;
    std::string url = "http://127.0.0.1:9000" + in.path;
    if (!in.query.empty()) url += "?" + s3::canonical_query(in.query);
    doc["requests"].push_back({{"method", sh.method}, {"url", url}, {"headers", headers}, {"body_sha256", s3::sha256_hex(sh.body)}});
  }
  test::write_file(dir / "ok.json", [&] {
    auto t = doc.dump();
    return std::vector<std::uint8_t>(t.begin(), t.end());
  }());
  auto ok = publish::run_process({"python3", SIGV4_CHECK, dir / "ok.json"});
  EXPECT_EQ(ok.status, 0) << ok.out << ok.err;

  // The checker must be able to fail: a wrong secret, and a body that is not the one signed.
  doc["secret_key"] = "not-the-secret";
  auto bad = doc.dump();
  test::write_file(dir / "bad.json", std::vector<std::uint8_t>(bad.begin(), bad.end()));
  auto r = publish::run_process({"python3", SIGV4_CHECK, dir / "bad.json"});
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL GET"), std::string::npos);
  doc["secret_key"] = creds.secret_access_key;
  doc["requests"][3]["body_sha256"] = s3::sha256_hex("other bytes");
  auto tampered = doc.dump();
  test::write_file(dir / "tampered.json", std::vector<std::uint8_t>(tampered.begin(), tampered.end()));
  r = publish::run_process({"python3", SIGV4_CHECK, dir / "tampered.json"});
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("is not the SHA-256 of the body"), std::string::npos) << r.out;
}

TEST(S3Sign, CredentialsFromEnvironmentValues) {
  s3::CredentialEnv env;
  env.access_key_id = "AK";
  env.secret_access_key = "SK";
  env.session_token = "TOK";
  env.default_region = "eu-west-1";
  auto r = s3::resolve_credentials(env);
  EXPECT_EQ(r.credentials.access_key_id, "AK");
  EXPECT_EQ(r.credentials.session_token, "TOK");
  EXPECT_EQ(r.region, "eu-west-1");
  EXPECT_EQ(r.source, "environment");
  env.region = "us-west-2";
  EXPECT_EQ(s3::resolve_credentials(env).region, "us-west-2");
}

TEST(S3Sign, CredentialsFromSharedFiles) {
  test::TempDir home;
  auto put = [&](const std::string& name, const std::string& text) {
    test::write_file(home / name, std::vector<std::uint8_t>(text.begin(), text.end()));
  };
  put(".aws/credentials",
      "# comment\n[default]\naws_access_key_id = DEFAULTAK\naws_secret_access_key = DEFAULTSK\n\n"
      "[ci]\naws_access_key_id=CIAK\naws_secret_access_key=CISK\naws_session_token=CITOK\n");
  put(".aws/config", "[default]\nregion = eu-north-1\n[profile ci]\nregion = ap-south-1\n");
  s3::CredentialEnv env;
  env.home = home.path();
  auto d = s3::resolve_credentials(env);
  EXPECT_EQ(d.credentials.access_key_id, "DEFAULTAK");
  EXPECT_EQ(d.region, "eu-north-1");
  EXPECT_EQ(d.source, home / ".aws/credentials");
  env.profile = "ci";
  auto ci = s3::resolve_credentials(env);
  EXPECT_EQ(ci.credentials.secret_access_key, "CISK");
  EXPECT_EQ(ci.credentials.session_token, "CITOK");
  EXPECT_EQ(ci.region, "ap-south-1");

  env.profile = "absent";
  try {
    s3::resolve_credentials(env);
    FAIL() << "no error for a missing profile";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::not_found);
    EXPECT_NE(std::string(e.what()).find("[absent]"), std::string::npos) << e.what();
  }
  put(".aws/credentials", "[default]\naws_access_key_id = X\nthis line is wrong\n");
  env.profile = "";
  try {
    s3::resolve_credentials(env);
    FAIL() << "no error for a malformed file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_input);
    EXPECT_NE(std::string(e.what()).find("credentials:3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace chunkbench
