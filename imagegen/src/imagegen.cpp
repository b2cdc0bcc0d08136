#include "chunkbench/imagegen.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>

#include "chunkbench/error.hpp"
#include "chunkbench/fd.hpp"

namespace chunkbench::imagegen {

namespace fs = std::filesystem;

namespace {

// splitmix64: tiny, fast and identical everywhere (std::mt19937's distributions are not).
struct Rng {
  std::uint64_t s;
  explicit Rng(std::uint64_t seed) : s(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }
  double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
};

const char* const kWords[] = {"the", "chunk", "store", "index", "image", "update", "kernel", "system", "file",
                              "data", "offset", "stream", "buffer", "network", "server", "client", "version",
                              "return", "struct", "const", "static", "void", "int", "if", "else", "for"};

void fill_text(Rng& r, std::vector<std::uint8_t>& out, std::size_t n) {
  while (out.size() < n) {
    const char* w = kWords[r.below(std::size(kWords))];
    out.insert(out.end(), w, w + std::strlen(w));
    out.push_back(r.below(12) == 0 ? '\n' : ' ');
  }
  out.resize(n);
}

void fill_binary(Rng& r, std::vector<std::uint8_t>& out, std::size_t n) {
  // Low-entropy structured records, like code and tables in an executable.
  while (out.size() < n) {
    std::uint64_t v = r.below(4096);
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>((i < 2) ? v >> (8 * i) : (i == 7 ? 0x48 : 0)));
  }
  out.resize(n);
}

void fill_random(Rng& r, std::vector<std::uint8_t>& out, std::size_t n) {
  while (out.size() < n) {
    std::uint64_t v = r.next();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  out.resize(n);
}

void generate_block(Rng& r, const SyntheticOptions& o, std::vector<std::uint8_t>& block, std::size_t n) {
  block.clear();
  double pick = r.unit();
  if (pick < o.zero_share) block.assign(n, 0);
  else if (pick < o.zero_share + o.incompressible_share) fill_random(r, block, n);
  else if (pick < 0.5 + (o.zero_share + o.incompressible_share) / 2) fill_text(r, block, n);
  else fill_binary(r, block, n);
}

void run_program(const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork for " + argv[0]);
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw Error(Errc::io, argv[0] + " failed (exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                              ")" + (WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ": not installed?" : ""));
}

// ustar header; names longer than ustar allows are skipped by the caller.
void tar_header(std::vector<std::uint8_t>& h, const std::string& name, std::uint64_t size, char type, unsigned mode) {
  h.assign(512, 0);
  std::string prefix, base = name;
  if (name.size() > 100) {
    auto cut = name.rfind('/', 155);
    prefix = name.substr(0, cut);
    base = name.substr(cut + 1);
  }
  std::memcpy(h.data(), base.data(), base.size());
  std::snprintf(reinterpret_cast<char*>(&h[100]), 8, "%07o", mode);
  std::snprintf(reinterpret_cast<char*>(&h[108]), 8, "%07o", 0);
  std::snprintf(reinterpret_cast<char*>(&h[116]), 8, "%07o", 0);
  std::snprintf(reinterpret_cast<char*>(&h[124]), 12, "%011llo", static_cast<unsigned long long>(size));
  std::snprintf(reinterpret_cast<char*>(&h[136]), 12, "%011o", 1700000000u);  // fixed mtime: reproducible
  h[156] = static_cast<std::uint8_t>(type);
  std::memcpy(&h[257], "ustar", 6);
  std::memcpy(&h[263], "00", 2);
  std::memcpy(&h[345], prefix.data(), prefix.size());
  std::memset(&h[148], ' ', 8);
  unsigned sum = 0;
  for (auto c : h) sum += c;
  std::snprintf(reinterpret_cast<char*>(&h[148]), 8, "%06o", sum);
}

bool tar_name_ok(const std::string& name) {
  if (name.size() <= 100) return true;
  auto cut = name.rfind('/', 155);
  return cut != std::string::npos && name.size() - cut - 1 <= 100 && cut <= 155;
}

void pack_tar(const std::string& dir, const std::string& out) {
  std::vector<std::string> files;
  for (auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), dir).string());
  std::sort(files.begin(), files.end());
  std::string tmp = temp_name_beside(out, "tmp");
  Fd fd = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::uint8_t> h, data;
  for (const auto& f : files) {
    data = read_whole_file(dir + "/" + f);
    tar_header(h, f, data.size(), '0', 0644);
    write_full(fd.get(), h, tmp);
    data.resize((data.size() + 511) / 512 * 512, 0);
    write_full(fd.get(), data, tmp);
  }
  std::vector<std::uint8_t> end(1024, 0);
  write_full(fd.get(), end, tmp);
  fd.reset();
  if (::rename(tmp.c_str(), out.c_str()) != 0) throw_errno("rename " + tmp + " to " + out);
}

void pack(Format fmt, const std::string& dir, const std::string& out) {
  if (fmt == Format::tar) return pack_tar(dir, out);
  // Fixed timestamp and UUID so the same tree gives the same image; lz4hc is what erofs-utils 1.5
  // offers (KDE uses zstd, which this version cannot write).
  run_program({"mkfs.erofs", "-zlz4hc", "-T", "1700000000", "-U", "6c8f7b3e-0d4a-4e7b-9a59-1f0c2d3e4f50",
               "--all-root", out, dir});
}

}  // namespace

TreeImages make_tree_images(const TreeOptions& tree, const Mutation& mut, Format fmt, const std::string& v1,
                            const std::string& v2, const std::string& work) {
  TreeImages res;
  fs::remove_all(work);
  const std::string a = work + "/v1", b = work + "/v2";
  fs::create_directories(a);
  // Every regular file under the sources, in sorted order, until the byte budget is reached.
  std::vector<fs::path> files;
  for (const auto& src : tree.sources) {
    std::error_code ec;
    if (!fs::is_directory(src, ec)) continue;
    for (auto it = fs::recursive_directory_iterator(src, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code e2;
      if (it->is_symlink(e2) || !it->is_regular_file(e2)) continue;
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  Rng pick(tree.seed);
  std::uint64_t total = 0;
  std::vector<std::string> names;
  for (const auto& f : files) {
    if (total >= tree.bytes) break;
    std::error_code ec;
    auto size = fs::file_size(f, ec);
    if (ec || size > (64u << 20) || ::access(f.c_str(), R_OK) != 0) continue;
    std::string rel = f.relative_path().string();
    if (!tar_name_ok(rel)) continue;
    fs::create_directories(fs::path(a + "/" + rel).parent_path());
    fs::copy_file(f, a + "/" + rel, fs::copy_options::overwrite_existing, ec);
    if (ec) continue;
    names.push_back(rel);
    total += size;
  }
  if (names.empty()) throw Error(Errc::not_found, "no readable files under the source directories for the test image");
  res.files_v1 = names.size();
  pack(fmt, a, v1);

  fs::copy(a, b, fs::copy_options::recursive);
  Rng r(mut.seed);
  std::vector<std::uint8_t> buf;
  for (const auto& n : names) {
    double u = r.unit();
    std::string p = b + "/" + n;
    if (u < mut.removed) {
      fs::remove(p);
      ++res.removed;
    } else if (u < mut.removed + mut.changed) {
      buf = read_whole_file(p);
      // A changed build of a file: a few scattered edits, and sometimes growth.
      std::size_t edits = 1 + r.below(4);
      for (std::size_t e = 0; e < edits && !buf.empty(); ++e) {
        std::size_t at = r.below(buf.size());
        std::size_t len = std::min<std::size_t>(buf.size() - at, 1 + r.below(4096));
        for (std::size_t k = 0; k < len; ++k) buf[at + k] = static_cast<std::uint8_t>(r.next());
      }
      if (r.below(3) == 0) {
        std::vector<std::uint8_t> extra;
        fill_text(r, extra, 1 + r.below(16384));
        buf.insert(buf.begin() + static_cast<long>(r.below(buf.size() + 1)), extra.begin(), extra.end());
      }
      write_file_atomic(p, buf);
      ++res.changed;
    }
  }
  std::size_t adds = static_cast<std::size_t>(static_cast<double>(names.size()) * mut.added);
  for (std::size_t i = 0; i < adds; ++i) {
    SyntheticOptions so;
    buf.clear();
    Rng fr(mut.seed * 1000003 + i);
    std::size_t size = 1024 + fr.below(256 * 1024);
    std::vector<std::uint8_t> block;
    while (buf.size() < size) {
      generate_block(fr, so, block, 4096);
      buf.insert(buf.end(), block.begin(), block.end());
    }
    fs::create_directories(b + "/added");
    write_file_atomic(b + "/added/file" + std::to_string(i) + ".bin", buf);
    ++res.added;
  }
  res.files_v2 = res.files_v1 - res.removed + res.added;
  pack(fmt, b, v2);
  res.bytes_v1 = fs::file_size(v1);
  res.bytes_v2 = fs::file_size(v2);
  fs::remove_all(work);
  return res;
}

void make_synthetic(const SyntheticOptions& opt, const std::string& path) {
  Rng r(opt.seed);
  std::string tmp = temp_name_beside(path, "tmp");
  Fd fd = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::uint8_t> block;
  std::uint64_t left = opt.bytes;
  while (left > 0) {
    // Region sizes vary a lot so chunks see mixed content, as in a filesystem image.
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, 512 + r.below(512 * 1024)));
    generate_block(r, opt, block, n);
    write_full(fd.get(), block, tmp);
    left -= n;
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("rename " + tmp + " to " + path);
}

void mutate_synthetic(const std::string& from, const std::string& to, double share, std::uint64_t seed) {
  std::vector<std::uint8_t> data = read_whole_file(from);
  Rng r(seed);
  std::uint64_t budget = static_cast<std::uint64_t>(static_cast<double>(data.size()) * share);
  std::vector<std::uint8_t> block;
  SyntheticOptions so;
  while (budget > 0 && !data.empty()) {
    std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(budget, 256 + r.below(64 * 1024)));
    std::size_t at = r.below(data.size());
    switch (r.below(3)) {
      case 0:  // rewrite in place
        len = std::min(len, data.size() - at);
        generate_block(r, so, block, len);
        std::copy(block.begin(), block.end(), data.begin() + static_cast<long>(at));
        break;
      case 1:  // insert
        generate_block(r, so, block, len);
        data.insert(data.begin() + static_cast<long>(at), block.begin(), block.end());
        break;
      default:  // delete
        len = std::min(len, data.size() - at);
        data.erase(data.begin() + static_cast<long>(at), data.begin() + static_cast<long>(at + len));
        break;
    }
    budget -= std::min<std::uint64_t>(budget, len);
  }
  write_file_atomic(to, data);
}

}  // namespace chunkbench::imagegen
