#include "chunkbench/seed.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "chunkbench/error.hpp"
#include "chunkbench/make.hpp"

namespace chunkbench {

namespace {

bool is_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Seed from_index(const std::string& index, const std::string& blob, const Index& target) {
  if (!is_file(blob)) throw Error(Errc::not_found, "seed " + blob + " (for index " + index + ") does not exist");
  Seed s{blob, index, Index::read(index)};
  if (s.table.digest() != target.digest())
    throw Error(Errc::usage, "seed index " + index + " uses " + digest_name(s.table.digest()) + " ids, the target uses " +
                                 digest_name(target.digest()));
  return s;
}

}  // namespace

Seed load_seed(const std::string& spec, const Index& target, unsigned threads) {
  auto colon = spec.find(':');
  if (colon != std::string::npos && ends_with(spec.substr(0, colon), ".caibx"))
    return from_index(spec.substr(0, colon), spec.substr(colon + 1), target);
  if (ends_with(spec, ".caibx")) return from_index(spec, spec.substr(0, spec.size() - 6), target);
  if (!is_file(spec)) throw Error(Errc::not_found, "seed " + spec + " does not exist");
  if (is_file(spec + ".caibx")) return from_index(spec + ".caibx", spec, target);
  MakeOptions opt;
  opt.sizes = target.sizes;
  opt.digest = target.digest();
  opt.threads = threads;
  return Seed{spec, "", make_index(spec, nullptr, opt)};
}

std::vector<Seed> load_seed_dir(const std::string& dir, const Index& target, const std::string& skip) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw Error(Errc::not_found, "seed directory " + dir + " does not exist");
  std::vector<std::string> indexes;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string p = it->path().string();
    if (!ends_with(p, ".caibx") || !it->is_regular_file()) continue;
    if (!skip.empty() && fs::equivalent(p, skip, ec)) continue;
    if (is_file(p.substr(0, p.size() - 6))) indexes.push_back(p);
  }
  if (ec) throw Error(Errc::io, "seed directory " + dir + ": " + ec.message());
  std::sort(indexes.begin(), indexes.end());  // deterministic seed order for ties
  std::vector<Seed> seeds;
  for (const auto& p : indexes) seeds.push_back(from_index(p, p.substr(0, p.size() - 6), target));
  return seeds;
}

}  // namespace chunkbench
