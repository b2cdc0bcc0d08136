#include "chunkbench/local_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "chunkbench/codec.hpp"
#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"

namespace chunkbench {

namespace {

void mkdir_p(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return;
  if (errno == ENOENT) {
    auto slash = dir.find_last_of('/', dir.size() - 2);
    if (slash != std::string::npos && slash > 0) {
      mkdir_p(dir.substr(0, slash));
      if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return;
    }
  }
  throw_errno("mkdir " + dir);
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

}  // namespace

LocalStore::LocalStore(std::string dir, bool compressed) : dir_(std::move(dir)), layout_{compressed} {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  if (dir_.empty()) throw Error(Errc::usage, "empty store path");
}

std::string LocalStore::path_of(const ChunkId& id) const { return dir_ + "/" + layout_.path(id); }

bool LocalStore::has(const ChunkId& id) {
  struct stat st {};
  std::string p = path_of(id);
  if (::stat(p.c_str(), &st) == 0) return S_ISREG(st.st_mode);
  if (errno == ENOENT || errno == ENOTDIR) return false;
  throw_errno("stat " + p);
}

std::optional<std::uint64_t> LocalStore::stored_size(const ChunkId& id) const {
  struct stat st {};
  std::string p = path_of(id);
  if (::stat(p.c_str(), &st) == 0) return static_cast<std::uint64_t>(st.st_size);
  if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
  throw_errno("stat " + p);
}

std::optional<ChunkData> LocalStore::get(const ChunkId& id) {
  std::string p = path_of(id);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_errno("open " + p);
  }
  Fd guard(fd);
  ChunkData d;
  d.compressed = layout_.compressed;
  d.bytes.resize(file_size(fd, p));
  d.bytes.resize(pread_full(fd, d.bytes, 0, p));
  return d;
}

void LocalStore::put(const ChunkId& id, const ChunkData& data) {
  std::string p = path_of(id);
  std::string dir = p.substr(0, p.rfind('/'));
  std::vector<std::uint8_t> converted;
  std::span<const std::uint8_t> bytes = data.bytes;
  if (data.compressed != layout_.compressed) {
    ChunkCodec codec;
    if (layout_.compressed) codec.compress(data.bytes, converted);
    else codec.decompress_any(data.bytes, 128u << 20, converted, p);
    bytes = converted;
  }
  // Temp file in the prefix directory, then rename: two writers of one chunk both rename a
  // complete file over the same name, and readers never see a partial one.
  std::string tmp = dir + "/" + std::string(ChunkLayout::kTempPrefix) + random_token();
  try {
    write_file_via(tmp, p, bytes);
  } catch (const Error& e) {
    if (e.code() != Errc::not_found) throw;
    mkdir_p(dir);  // the first chunk of its prefix: create the directory once, then write
    write_file_via(tmp, p, bytes);
  }
}

void LocalStore::for_each(const std::function<void(const ChunkId&, const std::string&, std::uint64_t)>& fn,
                          const std::function<void(const std::string&)>& on_temp) const {
  DirPtr top(::opendir(dir_.c_str()));
  if (!top) throw_errno("open store directory " + dir_);
  while (dirent* e = ::readdir(top.get())) {
    const std::string prefix = e->d_name;
    if (!ChunkLayout::is_prefix(prefix)) continue;
    const std::string sub = dir_ + "/" + prefix;
    DirPtr d(::opendir(sub.c_str()));
    if (!d) {
      if (errno == ENOTDIR) continue;
      throw_errno("open store directory " + sub);
    }
    while (dirent* f = ::readdir(d.get())) {
      const std::string name = f->d_name;
      const std::string path = sub + "/" + name;
      if (name.rfind(ChunkLayout::kTempPrefix, 0) == 0) {
        if (on_temp) on_temp(path);
        continue;
      }
      auto id = layout_.parse(prefix, name);
      if (!id) continue;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) continue;  // removed concurrently
        throw_errno("stat " + path);
      }
      if (S_ISREG(st.st_mode)) fn(*id, path, static_cast<std::uint64_t>(st.st_size));
    }
  }
}

void LocalStore::list(const std::function<void(const StoredChunk&)>& fn) {
  for_each([&](const ChunkId& id, const std::string& path, std::uint64_t size) {
    struct stat st {};
    const std::int64_t mtime = ::stat(path.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_mtime) : 0;
    fn(StoredChunk{id, size, mtime});
  });
}

void LocalStore::remove(const ChunkId& id) {
  const std::string p = path_of(id);
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) throw_errno("remove " + p);
}

PruneStats LocalStore::prune(const std::unordered_set<ChunkId, ChunkIdHash>& keep, bool dry_run) {
  PruneStats stats;
  auto remove = [&](const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("remove " + path);
  };
  for_each(
      [&](const ChunkId& id, const std::string& path, std::uint64_t size) {
        if (keep.count(id)) {
          ++stats.kept;
          return;
        }
        ++stats.removed;
        stats.removed_bytes += size;
        if (!dry_run) remove(path);
      },
      [&](const std::string& tmp) {
        // Only temp files old enough that no live writer can still own them.
        struct stat st {};
        if (::stat(tmp.c_str(), &st) == 0 && ::time(nullptr) - st.st_mtime > 3600) {
          ++stats.temp_files_removed;
          if (!dry_run) remove(tmp);
        }
      });
  return stats;
}

}  // namespace chunkbench
