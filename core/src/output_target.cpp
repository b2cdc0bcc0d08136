#include "chunkbench/output_target.hpp"

#include <sys/stat.h>

#include <cerrno>

#include "chunkbench/error.hpp"

namespace chunkbench {

namespace {

// stat(2) that says "absent" instead of throwing for a path that does not exist.
bool stat_if_exists(const std::string& path, struct stat& st) {
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  throw_errno("stat " + path);
}

}  // namespace

OutputKind output_kind(const std::string& path) {
  struct stat st {};
  if (!stat_if_exists(path, st)) return OutputKind::absent;
  if (S_ISREG(st.st_mode)) return OutputKind::regular;
  if (S_ISBLK(st.st_mode)) return OutputKind::block_device;
  const char* what = S_ISDIR(st.st_mode) ? "a directory" : S_ISCHR(st.st_mode) ? "a character device"
                     : S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket" : "not a regular file";
  throw Error(Errc::usage, "output " + path + " is " + what +
                               ": give a file name (or a block device, which is written in place)");
}

void refuse_output_is_input(const std::string& output, const std::vector<NamedInput>& inputs) {
  struct stat out {};
  if (!stat_if_exists(output, out)) return;
  for (const auto& in : inputs) {
    struct stat st {};
    if (in.path.empty() || !stat_if_exists(in.path, st)) continue;
    if (st.st_dev == out.st_dev && st.st_ino == out.st_ino)
      throw Error(Errc::usage, "output " + output + " is the " + in.role + " " + in.path +
                                   " (the same file): writing it would destroy the input; give another output path");
  }
}

}  // namespace chunkbench
