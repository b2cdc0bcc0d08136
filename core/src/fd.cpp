#include "chunkbench/fd.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include "chunkbench/error.hpp"

namespace chunkbench {

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) reset(o.release());
  return *this;
}

Fd::~Fd() { reset(); }

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Fd open_file(const std::string& path, int flags, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) throw_errno("open " + path);
  return Fd(fd);
}

std::uint64_t file_size(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("stat " + path);
  return static_cast<std::uint64_t>(st.st_size);
}

std::size_t pread_full(int fd, std::span<std::uint8_t> buf, std::uint64_t offset, const std::string& path) {
  std::size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::pread(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("read " + path + " at offset " + std::to_string(offset + done));
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

void pwrite_full(int fd, std::span<const std::uint8_t> buf, std::uint64_t offset, const std::string& path) {
  std::size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::pwrite(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write " + path + " at offset " + std::to_string(offset + done));
    }
    done += static_cast<std::size_t>(n);
  }
}

void write_full(int fd, std::span<const std::uint8_t> buf, const std::string& path) {
  std::size_t done = 0;
  while (done < buf.size()) {
    ssize_t n = ::write(fd, buf.data() + done, buf.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write " + path);
    }
    done += static_cast<std::size_t>(n);
  }
}

std::vector<std::uint8_t> read_whole_file(const std::string& path) {
  Fd fd = open_file(path, O_RDONLY);
  std::vector<std::uint8_t> data(file_size(fd.get(), path));
  std::size_t n = pread_full(fd.get(), data, 0, path);
  data.resize(n);
  return data;
}

std::string random_token() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string rnd;
  std::uint64_t r = rng();
  for (int i = 0; i < 12; ++i, r >>= 4) rnd.push_back(hex[r & 15]);
  return rnd;
}

std::string temp_name_beside(const std::string& path, const std::string& tag) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + base + "." + tag + random_token();
}

void write_file_via(const std::string& tmp, const std::string& path, std::span<const std::uint8_t> data, int mode) {
  {
    Fd fd = open_file(tmp, O_WRONLY | O_CREAT | O_EXCL, mode);
    try {
      write_full(fd.get(), data, tmp);
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw_errno("rename " + tmp + " to " + path, err);
  }
}

void write_file_atomic(const std::string& path, std::span<const std::uint8_t> data, int mode) {
  write_file_via(temp_name_beside(path, "tmp"), path, data, mode);
}

}  // namespace chunkbench
