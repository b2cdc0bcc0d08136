#include "file_service.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

#include "chunkbench/error.hpp"
#include "range.hpp"

namespace chunkbench::server {
namespace {

// openat2 is the kernel's own "stay beneath this directory" resolution: `..` and symlinks may not leave
// the root, whatever the textual checks missed. glibc 2.36 has no wrapper.
int open_beneath(int dirfd, const std::string& rel) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;  // O_NONBLOCK: a FIFO in the tree must not hang us
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

const char* content_type(std::string_view path) {
  auto slash = path.rfind('/');
  auto name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (name == "SHA256SUMS" || name == "SHA512SUMS") return "text/plain; charset=utf-8";
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  auto ext = name.substr(dot + 1);
  struct Type {
    std::string_view ext;
    const char* type;
  };
  static constexpr Type kTypes[] = {
      {"txt", "text/plain; charset=utf-8"}, {"json", "application/json"}, {"html", "text/html; charset=utf-8"},
      {"gpg", "application/pgp-signature"}, {"sig", "application/pgp-signature"}, {"asc", "application/pgp-signature"},
      {"zst", "application/zstd"}, {"xz", "application/x-xz"}, {"gz", "application/gzip"},
      {"torrent", "application/x-bittorrent"}};
  for (const auto& t : kTypes)
    if (t.ext == ext) return t.type;
  return "application/octet-stream";  // chunks (.cacnk), indexes (.caibx), images, erofs, efi
}

std::string http_date(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

void add(Response& r, std::string name, std::string value) { r.headers.push_back({std::move(name), std::move(value)}); }

// RFC 9110 §13.1.5: the Range applies only while If-Range names the current representation. Our
// entity-tag is strong, so it must match exactly (a weak W/ tag never does); a date must equal our
// Last-Modified text and be at least a second old, which is what makes a date a strong validator.
bool if_range_holds(std::string_view if_range, std::string_view etag, const std::string& last_modified,
                    std::time_t mtime) {
  if (if_range.empty()) return true;
  if (if_range.front() == '"' || if_range.substr(0, 2) == "W/") return if_range == etag;
  return if_range == last_modified && mtime < std::time(nullptr) - 1;
}

}  // namespace

bool decode_target(std::string_view target, std::string& out) {
  auto end = target.find_first_of("?#");
  if (end != std::string_view::npos) target = target.substr(0, end);
  if (target.empty() || target[0] != '/') return false;
  out.clear();
  for (std::size_t i = 1; i < target.size(); ++i) {
    char c = target[i];
    if (c == '%') {
      int hi = i + 1 < target.size() ? hex_value(target[i + 1]) : -1;
      int lo = i + 2 < target.size() ? hex_value(target[i + 2]) : -1;
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0') return false;
    out.push_back(c);
  }
  if (!out.empty() && out[0] == '/') return false;
  std::size_t start = 0;
  while (start <= out.size()) {
    auto slash = out.find('/', start);
    auto seg = std::string_view(out).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg == "." || seg == "..") return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

const std::string& http_date_now() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached_second = now;
    cached = http_date(now);
  }
  return cached;
}

FileService::FileService(const std::string& root, Stats& stats) : root_(root), stats_(stats) {
  root_fd_ = open_file(root, O_RDONLY | O_DIRECTORY);
  int probe = open_beneath(root_fd_.get(), ".");
  if (probe < 0 && errno == ENOSYS)
    throw Error(Errc::io, "serve " + root + ": the kernel lacks openat2(2), needed to keep requests beneath the root");
  if (probe >= 0) ::close(probe);
}

Response FileService::error(int status, std::string_view method) const {
  Response r;
  r.status = status;
  add(r, "date", http_date_now());
  add(r, "content-type", "text/plain; charset=utf-8");
  std::string text = std::to_string(status) + " " + reason_phrase(status) + "\n";
  r.content_length = text.size();
  if (status == 405) add(r, "allow", "GET, HEAD");
  if (method != "HEAD") r.body = Body::text(std::move(text));
  return r;
}

Response FileService::handle(const Request& req, FaultInjector& faults, Clock::time_point now) const {
  const bool head = req.method == "HEAD";
  if (!head && req.method != "GET") return error(405, req.method);
  std::string rel;
  if (!decode_target(req.target, rel)) return error(400, req.method);

  if (req.target.substr(0, req.target.find('?')) == kStatsPath) {
    Response r;
    r.status = 200;
    r.counted = false;
    add(r, "date", http_date_now());
    add(r, "content-type", "application/json");
    add(r, "cache-control", "no-store");
    std::string json = stats_.to_json();
    r.content_length = json.size();
    if (!head) r.body = Body::text(std::move(json));
    return r;
  }
  if (faults.fail(rel)) {
    stats_.fault(Fault::http_5xx);
    return error(503, req.method);
  }
  if (rel.empty()) return error(404, req.method);  // no directory listings

  int fd = open_beneath(root_fd_.get(), rel);
  if (fd < 0) {
    switch (errno) {
      case ENOENT:
      case ENOTDIR:
      case ENAMETOOLONG: return error(404, req.method);
      case EXDEV:  // resolution tried to leave the root (.. or a symlink pointing outside)
      case ELOOP:
      case EACCES:
      case EPERM: return error(403, req.method);
      default: return error(500, req.method);
    }
  }
  Fd file(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return error(404, req.method);
  const auto size = static_cast<std::uint64_t>(st.st_size);

  char etag[64];
  std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", static_cast<unsigned long long>(st.st_mtim.tv_sec),
                static_cast<unsigned long long>(size));
  std::string last_modified = http_date(st.st_mtim.tv_sec);
  // RFC 9110 §14.2: GET is the only method with range handling, so HEAD ignores Range (and If-Range)
  // and describes the whole file, as a GET without Range would.
  const bool use_range = !head && if_range_holds(req.if_range, etag, last_modified, st.st_mtim.tv_sec);
  const RangeAnswer range = use_range ? answer_range(req.range, size) : RangeAnswer{RangeAnswer::whole, 0, size};
  if (range.kind == RangeAnswer::unsatisfiable) {
    Response r = error(416, req.method);
    add(r, "content-range", "bytes */" + std::to_string(size));
    return r;
  }
  Response r;
  r.status = range.kind == RangeAnswer::partial ? 206 : 200;
  add(r, "date", http_date_now());
  add(r, "content-type", content_type(rel));
  add(r, "last-modified", std::move(last_modified));
  add(r, "etag", etag);
  add(r, "accept-ranges", "bytes");
  if (range.kind == RangeAnswer::partial)
    add(r, "content-range", "bytes " + std::to_string(range.first) + "-" +
                                std::to_string(range.first + range.length - 1) + "/" + std::to_string(size));
  // The headers and the body come from the same answer: the body is exactly content-length bytes.
  const std::uint64_t first = range.first, length = range.length;
  r.content_length = length;
  if (!head && length > 0) {
    r.body = Body::file(std::move(file), root_ + "/" + rel, first, length);
    const BodyFaults bf = faults.body(length);
    if (bf.reset_at) stats_.fault(Fault::reset);
    if (bf.stall_at) stats_.fault(Fault::stall);
    if (bf.corrupt_at) stats_.fault(Fault::corrupt);
    if (faults.options().slow_body_bps) stats_.fault(Fault::slow);
    r.body.set_faults(bf, faults.options().slow_body_bps, now);
  }
  return r;
}

}  // namespace chunkbench::server
