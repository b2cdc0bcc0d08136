#include "chunkbench/s3_sign.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <fstream>
#include <map>
#include <optional>

#include "chunkbench/error.hpp"

namespace chunkbench::s3 {
namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

std::array<unsigned char, 32> hmac(std::string_view key, std::string_view msg) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
            msg.size(), out.data(), &len))
    throw Error(Errc::io, "HMAC-SHA256 failed in OpenSSL");
  return out;
}

std::string_view view(const std::array<unsigned char, 32>& a) {
  return {reinterpret_cast<const char*>(a.data()), a.size()};
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// SigV4's Trimall: no leading/trailing blanks, inner runs of blanks become one space.
std::string trim_all(std::string_view v) {
  std::string out;
  bool blank = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      blank = !out.empty();
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

std::string trim(std::string_view v) {
  auto b = v.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  auto e = v.find_last_not_of(" \t\r");
  return std::string(v.substr(b, e - b + 1));
}

// One INI-style AWS file: section -> key -> value. nullopt when the file does not exist.
using Ini = std::map<std::string, std::map<std::string, std::string>>;
std::optional<Ini> read_ini(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  Ini ini;
  std::string line, section;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == ';') continue;
    if (t.front() == '[') {
      if (t.back() != ']') throw Error(Errc::invalid_input, path + ":" + std::to_string(n) + ": unterminated section header");
      section = trim(std::string_view(t).substr(1, t.size() - 2));
      ini[section];
      continue;
    }
    auto eq = t.find('=');
    if (eq == std::string::npos || section.empty())
      throw Error(Errc::invalid_input,
                  path + ":" + std::to_string(n) + (section.empty() ? ": key outside a [section]" : ": expected key = value"));
    ini[section][lower(trim(std::string_view(t).substr(0, eq)))] = trim(std::string_view(t).substr(eq + 1));
  }
  return ini;
}

std::string value_of(const Ini& ini, const std::string& section, const std::string& key) {
  auto s = ini.find(section);
  if (s == ini.end()) return "";
  auto k = s->second.find(key);
  return k == s->second.end() ? "" : k->second;
}

}  // namespace

ResolvedCredentials resolve_credentials(const CredentialEnv& env) {
  ResolvedCredentials r;
  const std::string profile = env.profile.empty() ? "default" : env.profile;
  const std::string aws_dir = env.home.empty() ? "" : env.home + "/.aws/";
  const std::string creds_path = !env.shared_credentials_file.empty() ? env.shared_credentials_file
                                 : aws_dir.empty()                    ? ""
                                                                      : aws_dir + "credentials";
  const std::string config_path = !env.config_file.empty() ? env.config_file : aws_dir.empty() ? "" : aws_dir + "config";

  if (!env.access_key_id.empty() && !env.secret_access_key.empty()) {
    r.credentials = {env.access_key_id, env.secret_access_key, env.session_token};
    r.source = "environment";
  } else {
    std::optional<Ini> ini = creds_path.empty() ? std::nullopt : read_ini(creds_path);
    if (ini && ini->count(profile)) {
      r.credentials = {value_of(*ini, profile, "aws_access_key_id"), value_of(*ini, profile, "aws_secret_access_key"),
                       value_of(*ini, profile, "aws_session_token")};
      if (r.credentials.access_key_id.empty() || r.credentials.secret_access_key.empty())
        throw Error(Errc::invalid_input, creds_path + ": profile [" + profile +
                                             "] lacks aws_access_key_id or aws_secret_access_key");
      r.source = creds_path;
    } else {
      throw Error(Errc::not_found,
                  "no S3 credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not both set and " +
                      (creds_path.empty() ? std::string("HOME is unset") : creds_path) + " has no profile [" + profile +
                      "]");
    }
  }
  r.region = !env.region.empty() ? env.region : env.default_region;
  if (r.region.empty() && !config_path.empty()) {
    if (auto cfg = read_ini(config_path))
      r.region = value_of(*cfg, profile == "default" ? "default" : "profile " + profile, "region");
  }
  if (r.region.empty()) r.region = "us-east-1";
  return r;
}

std::string uri_encode(std::string_view s, bool keep_slash) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(query.size());
  for (const auto& [k, v] : query) enc.emplace_back(uri_encode(k, false), uri_encode(v, false));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string sha256_hex(std::span<const std::uint8_t> data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr))
    throw Error(Errc::io, "SHA-256 failed in OpenSSL");
  return to_hex(md, len);
}

std::string sha256_hex(std::string_view data) {
  return sha256_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

Signed sign(const SigningInput& in, const Credentials& creds, const std::string& region, const std::string& service) {
  Signed s;
  s.amz_date = amz_date(in.time);
  const std::string day = s.amz_date.substr(0, 8);

  // Headers to sign, lower-cased and sorted; repeated names join their values with ','.
  std::vector<std::pair<std::string, std::string>> hdrs;
  hdrs.emplace_back("host", in.host);
  hdrs.emplace_back("x-amz-date", s.amz_date);
  if (in.content_sha256_header) hdrs.emplace_back("x-amz-content-sha256", in.payload_hash);
  if (!creds.session_token.empty()) hdrs.emplace_back("x-amz-security-token", creds.session_token);
  for (const auto& [k, v] : in.headers) hdrs.emplace_back(lower(k), trim_all(v));
  std::stable_sort(hdrs.begin(), hdrs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers;
  for (std::size_t i = 0; i < hdrs.size(); ++i) {
    if (i > 0 && hdrs[i].first == hdrs[i - 1].first) {
      canonical_headers.back() = ',';  // replace the previous '\n'
      canonical_headers += hdrs[i].second + "\n";
      continue;
    }
    if (!s.signed_headers.empty()) s.signed_headers += ';';
    s.signed_headers += hdrs[i].first;
    canonical_headers += hdrs[i].first + ":" + hdrs[i].second + "\n";
  }

  s.canonical_request = in.method + "\n" + (in.path.empty() ? "/" : in.path) + "\n" + canonical_query(in.query) + "\n" +
                        canonical_headers + "\n" + s.signed_headers + "\n" + in.payload_hash;
  const std::string scope = day + "/" + region + "/" + service + "/aws4_request";
  s.string_to_sign = "AWS4-HMAC-SHA256\n" + s.amz_date + "\n" + scope + "\n" + sha256_hex(s.canonical_request);

  auto k_date = hmac("AWS4" + creds.secret_access_key, day);
  auto k_region = hmac(view(k_date), region);
  auto k_service = hmac(view(k_region), service);
  auto k_signing = hmac(view(k_service), "aws4_request");
  auto sig = hmac(view(k_signing), s.string_to_sign);
  s.signature = to_hex(sig.data(), sig.size());
  s.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + scope +
                    ", SignedHeaders=" + s.signed_headers + ", Signature=" + s.signature;

  for (const auto& h : hdrs)
    if (h.first != "host") s.headers.push_back(h);
  s.headers.emplace_back("authorization", s.authorization);
  return s;
}

}  // namespace chunkbench::s3
