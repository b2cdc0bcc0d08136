#include "chunkbench/store_factory.hpp"

#include <sys/stat.h>

#include <cerrno>

#include "chunkbench/error.hpp"
#include "chunkbench/http_store.hpp"
#include "chunkbench/local_store.hpp"

namespace chunkbench {

namespace {

using Opener = std::shared_ptr<Store> (*)(const std::string& spec, StoreOptions& options);

[[noreturn]] void bad_spec(const std::string& spec, const std::string& why) {
  throw Error(Errc::usage, "store " + spec + ": " + why);
}

// scheme://host[:port]/path: the host must be there; userinfo, spaces and fragments are refused
// (a store URL never needs them, and a secret in a URL would end up in every message and report,
// so the refusal itself leaves the userinfo out).
void check_url(const std::string& spec, std::size_t scheme_end) {
  const std::size_t host_begin = scheme_end + 3;
  const std::size_t host_end = spec.find('/', host_begin);
  const std::string authority = spec.substr(host_begin, host_end == std::string::npos ? std::string::npos : host_end - host_begin);
  if (authority.empty()) bad_spec(spec, "no host in the URL");
  if (const std::size_t at = authority.find('@'); at != std::string::npos)
    bad_spec(spec.substr(0, host_begin) + "***" + spec.substr(host_begin + at),
             "user names or passwords in store URLs are not supported");
  if (authority.front() == ':') bad_spec(spec, "no host in the URL");
  for (char c : spec)
    if (c == ' ' || c == '#' || static_cast<unsigned char>(c) < 0x20) bad_spec(spec, "malformed URL");
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.back() != ']') {
    const std::string port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) > 65535)
      bad_spec(spec, "malformed port '" + port + "'");
  }
}

std::shared_ptr<Store> open_http(const std::string& spec, StoreOptions& o) {
  return std::make_shared<HttpStore>(spec, o.compressed, shared_fetcher(o), o.max_body);
}

std::shared_ptr<Store> open_directory(const std::string& spec, StoreOptions& o) {
  struct stat st {};
  if (::stat(spec.c_str(), &st) != 0) {
    if (errno != ENOENT || !o.create) throw Error(Errc::not_found, "store " + spec + ": no such directory");
  } else if (!S_ISDIR(st.st_mode)) {
    throw Error(Errc::usage, "store " + spec + ": not a directory");
  }
  return std::make_shared<LocalStore>(spec, o.compressed);
}

// The registration point of store schemes: one row per scheme. A null opener is a scheme that is
// reserved (s3+https:// for the S3 store) but not built into this version.
struct Scheme {
  const char* name;
  Opener open;
};
constexpr Scheme kSchemes[] = {
    {"http", &open_http},
    {"https", &open_http},
    {"s3+http", nullptr},
    {"s3+https", nullptr},
};

std::string supported_list() {
  std::string s = "a directory";
  for (const auto& sc : kSchemes)
    if (sc.open) s += std::string(", ") + sc.name + "://";
  return s;
}

std::shared_ptr<Store> open_one(const std::string& spec, StoreOptions& o) {
  if (spec.empty()) throw Error(Errc::usage, "store '': empty store spec");
  const std::size_t sep = spec.find("://");
  if (sep == std::string::npos) return open_directory(spec, o);
  const std::string scheme = spec.substr(0, sep);
  for (const auto& sc : kSchemes) {
    if (scheme != sc.name) continue;
    if (!sc.open) bad_spec(spec, "scheme " + scheme + ":// is not supported by this build (supported: " + supported_list() + ")");
    check_url(spec, sep);
    return sc.open(spec, o);
  }
  for (const auto& sc : kSchemes) {
    std::string lower = scheme;
    for (auto& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (lower == sc.name) bad_spec(spec, "URL schemes are lower-case here: write " + lower + "://");
  }
  bad_spec(spec, "unsupported scheme '" + scheme + "' (supported: " + supported_list() + ")");
}

std::vector<std::string> split_group(const std::string& spec) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t bar = spec.find('|', start);
    parts.push_back(spec.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) return parts;
    start = bar + 1;
  }
}

}  // namespace

std::string store_scheme(const std::string& spec) {
  const std::size_t sep = spec.find("://");
  return sep == std::string::npos ? "" : spec.substr(0, sep);
}

bool is_remote_spec(const std::string& spec) {
  for (const auto& part : split_group(spec))
    if (!store_scheme(part).empty()) return true;
  return false;
}

std::shared_ptr<BatchFetcher> shared_fetcher(StoreOptions& o) {
  if (!o.fetcher) o.fetcher = std::make_shared<BatchFetcher>(o.http, o.stats);
  return o.fetcher;
}

std::shared_ptr<Store> open_store(const std::string& spec, StoreOptions& options) {
  if (spec.find('|') == std::string::npos) return open_one(spec, options);
  std::vector<std::shared_ptr<Store>> mirrors;
  for (const auto& part : split_group(spec)) {
    if (part.empty()) bad_spec(spec, "empty member in the failover group (a|b)");
    mirrors.push_back(open_one(part, options));
  }
  return std::make_shared<FailoverStore>(std::move(mirrors));
}

std::shared_ptr<Store> open_stores(const std::vector<std::string>& specs, StoreOptions& options) {
  if (specs.empty()) throw Error(Errc::usage, "no store given");
  std::vector<std::shared_ptr<Store>> stores;
  for (const auto& s : specs) stores.push_back(open_store(s, options));
  if (stores.size() == 1) return stores.front();
  return std::make_shared<RouterStore>(std::move(stores));
}

std::shared_ptr<WriteStore> open_write_store(const std::string& spec, StoreOptions& options) {
  auto store = std::dynamic_pointer_cast<WriteStore>(open_store(spec, options));
  if (!store) bad_spec(spec, "this kind of store cannot be written (writable: a directory)");
  return store;
}

std::shared_ptr<ListStore> open_list_store(const std::string& spec, StoreOptions& options) {
  auto store = std::dynamic_pointer_cast<ListStore>(open_store(spec, options));
  if (!store) bad_spec(spec, "this kind of store cannot list its chunks (listable: a directory)");
  return store;
}

}  // namespace chunkbench
