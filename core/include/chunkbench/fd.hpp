#pragma once
// RAII file descriptor and whole-buffer I/O helpers whose errors name the path.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace chunkbench {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  ~Fd();
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// open(2) that throws an Error naming `path`.
Fd open_file(const std::string& path, int flags, int mode = 0644);
std::uint64_t file_size(int fd, const std::string& path);
// Reads up to buf.size() bytes at offset; returns the count (short only at end of file).
std::size_t pread_full(int fd, std::span<std::uint8_t> buf, std::uint64_t offset, const std::string& path);
void pwrite_full(int fd, std::span<const std::uint8_t> buf, std::uint64_t offset, const std::string& path);
void write_full(int fd, std::span<const std::uint8_t> buf, const std::string& path);
std::vector<std::uint8_t> read_whole_file(const std::string& path);
// Writes via a temporary name in the same directory, fsyncs nothing (chunks are re-verifiable), renames.
void write_file_atomic(const std::string& path, std::span<const std::uint8_t> data, int mode = 0644);
// The same with the caller's temporary name `tmp` (created exclusively, removed on any failure).
// A missing directory is Errc::not_found, so callers can create it and try again.
void write_file_via(const std::string& tmp, const std::string& path, std::span<const std::uint8_t> data,
                    int mode = 0644);
// 12 random lowercase hex characters, for temporary names.
std::string random_token();
// A unique temporary name beside `path`: "<dir>/.<base>.<tag><random>".
std::string temp_name_beside(const std::string& path, const std::string& tag);

}  // namespace chunkbench
