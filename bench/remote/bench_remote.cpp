// Remote extract benchmark (replaces run.py): chunkbench's extract as a library call from
// `chunkbench serve`, against casync extract from the same server, the same extract from the
// local store, and a bare h2load transfer of the same chunk files; on loopback, for a 64 KiB and a
// 2 MiB store, then again with serve --response-delay. Every figure is the median of --reps runs
// of this one invocation, and every ratio is formed from figures of this invocation.
//
//   bench_remote [--bin build/cli/chunkbench] [--work DIR] [--kind tar|synthetic] [--size 256M]
//                [--reps 3] [--delay 5] [--inflight N] [--bare-streams 64] [--out results.json]
//
// Needs casync, h2load and unshare (root): casync-https has no CA option and libcurl reads none
// from the environment, so the server's CA is bind-mounted over the system bundle in a private
// mount namespace for casync only; the machine's trust store is not touched.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "chunkbench/error.hpp"
#include "chunkbench/extract.hpp"
#include "chunkbench/json_report.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Options {
  std::string bin = "build/cli/chunkbench", work = "/dev/shm/chunkbench-bench-remote", kind = "tar", size = "256M";
  int reps = 3, delay = 5, inflight = 0, bare_streams = 64;
  std::string out;
};

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  if (::pclose(p) != 0) throw std::runtime_error(cmd + " failed:\n" + out.substr(out.size() > 2000 ? out.size() - 2000 : 0));
  return out;
}

template <typename F>
double seconds(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

template <typename F>
double median_of(int reps, F&& f) {
  std::vector<double> v;
  for (int i = 0; i < reps; ++i) v.push_back(f());
  return median(v);
}

// `chunkbench serve` on 127.0.0.1:0; stopped (SIGTERM, then SIGKILL) when it goes out of scope.
class Server {
 public:
  Server(const Options& o, const std::string& root, const std::string& name, int delay_ms) {
    port_file_ = o.work + "/" + name + ".port";
    ca_ = o.work + "/" + name + "-ca.pem";
    fs::remove(port_file_);
    std::vector<std::string> argv = {o.bin, "serve", "--root", root, "--listen", "127.0.0.1:0", "--port-file", port_file_,
                                     "--ca-out", ca_, "-q"};
    if (delay_ms) argv.insert(argv.end(), {"--response-delay", std::to_string(delay_ms)});
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> a;
      for (auto& s : argv) a.push_back(s.data());
      a.push_back(nullptr);
      ::execv(a[0], a.data());
      ::_exit(127);
    }
    for (int i = 0; i < 500 && port_ == 0; ++i) {
      std::ifstream f(port_file_);
      std::string text((std::istreambuf_iterator<char>(f)), {});
      if (!text.empty() && text.back() == '\n') port_ = std::stoi(text);
      else std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (port_ == 0) throw std::runtime_error("chunkbench serve did not start");
  }
  ~Server() {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 1000 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string url(const std::string& path) const { return "https://127.0.0.1:" + std::to_string(port_) + "/" + path; }
  const std::string& ca() const { return ca_; }

 private:
  std::string port_file_, ca_;
  pid_t pid_ = -1;
  int port_ = 0;
};

struct StoreSet {
  std::string name, store, index;
  std::vector<std::string> files;  // chunk files relative to the served root
  std::uint64_t chunks = 0, stored_bytes = 0;
};

StoreSet make_store(const Options& o, const std::string& root, const std::string& name, const std::string& sizes,
                    const std::string& image) {
  StoreSet s{name, root + "/store-" + name, o.work + "/v2-" + name + ".caibx", {}, 0, 0};
  json j = json::parse(run(o.bin + " make --json -s " + s.store + " -m " + sizes + " " + s.index + " " + image));
  s.chunks = j["chunks"].get<std::uint64_t>();
  for (const auto& e : fs::recursive_directory_iterator(s.store))
    if (e.is_regular_file() && e.path().extension() == ".cacnk") {
      s.files.push_back(fs::relative(e.path(), root).string());
      s.stored_bytes += e.file_size();
    }
  return s;
}

// One extract through the library; `last` keeps the report of the latest run.
double extract_once(const Options& o, const std::string& store, const std::string& ca, const StoreSet& s,
                    const std::string& out, chunkbench::HttpOptions::Version version, chunkbench::ExtractReport* last) {
  fs::remove(out);
  chunkbench::ExtractRequest req;
  req.stores = {store};
  req.index_path = s.index;
  req.output = out;
  req.window = static_cast<unsigned>(o.inflight);
  req.http.ca_file = ca;
  req.http.version = version;
  chunkbench::ExtractReport rep;
  const double t = seconds([&] { rep = chunkbench::extract(req); });
  if (last) *last = rep;
  return t;
}

double casync_once(const Options& o, const Server& srv, const StoreSet& s, const std::string& out) {
  fs::remove(out);
  const std::string cmd = "mount --bind " + srv.ca() + " /etc/ssl/certs/ca-certificates.crt && TMPDIR=" + o.work +
                          "/casync-tmp exec casync extract --store=" + srv.url("store-" + s.name + "/") + " " + s.index +
                          " " + out;
  return seconds([&] { run("unshare -m sh -c '" + cmd + "' 2>&1"); });
}

double bare_once(const Options& o, const Server& srv, const StoreSet& s) {
  const std::string urls = o.work + "/urls-" + s.name + ".txt";
  std::ofstream f(urls);
  for (const auto& rel : s.files) f << srv.url(rel) << "\n";
  f.close();
  std::string text;
  const double t = seconds([&] {
    text = run("h2load -n " + std::to_string(s.files.size()) + " -c 1 -m " + std::to_string(o.bare_streams) + " -i " + urls);
  });
  std::smatch m;
  if (!std::regex_search(text, m, std::regex("requests: .* (\\d+) succeeded")) || std::stoul(m[1]) != s.files.size())
    throw std::runtime_error("h2load: not every request succeeded:\n" + text);
  return t;
}

void check_same(const std::string& a, const std::string& b) { run("cmp " + a + " " + b); }

json measure(const Options& o, const Server& srv, const StoreSet& s, const std::string& image, int delay) {
  using V = chunkbench::HttpOptions::Version;
  const std::string out = o.work + "/out.img";
  json r = {{"chunks", s.chunks}, {"stored_bytes", s.stored_bytes}};
  chunkbench::ExtractReport last;
  const double remote = median_of(o.reps, [&] { return extract_once(o, srv.url("store-" + s.name + "/"), srv.ca(), s, out, V::any, &last); });
  check_same(out, image);
  r["chunkbench_remote_s"] = remote;
  r["protocol"] = last.protocol;
  r["connections"] = last.network.connections;
  r["requests"] = last.network.requests;
  r["extract"] = json::parse(chunkbench::to_json(last));
  const double casync = median_of(o.reps, [&] { return casync_once(o, srv, s, out); });
  check_same(out, image);
  r["casync_s"] = casync;
  r["speedup_vs_casync"] = casync / remote;
  if (delay) return r;
  r["chunkbench_h1_s"] = median_of(o.reps, [&] { return extract_once(o, srv.url("store-" + s.name + "/"), srv.ca(), s, out, V::http1_1, nullptr); });
  check_same(out, image);
  const double local = median_of(o.reps, [&] { return extract_once(o, s.store, "", s, out, V::any, nullptr); });
  check_same(out, image);
  r["chunkbench_local_s"] = local;
  r["remote_over_local"] = remote / local;
  const double bare = median_of(o.reps, [&] { return bare_once(o, srv, s); });
  r["bare_h2load_s"] = bare;
  r["bare_rate_Bps"] = static_cast<double>(s.stored_bytes) / bare;
  r["chunkbench_rate_Bps"] = static_cast<double>(s.stored_bytes) / remote;
  r["rate_vs_bare"] = bare / remote;
  return r;
}

Options parse(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string*> text = {{"--bin", &o.bin}, {"--work", &o.work}, {"--kind", &o.kind},
                                              {"--size", &o.size}, {"--out", &o.out}};
  std::map<std::string, int*> num = {{"--reps", &o.reps}, {"--delay", &o.delay}, {"--inflight", &o.inflight},
                                     {"--bare-streams", &o.bare_streams}};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (text.count(argv[i])) *text[argv[i]] = argv[i + 1];
    else if (num.count(argv[i])) *num[argv[i]] = std::stoi(argv[i + 1]);
    else throw std::runtime_error(std::string("unknown option ") + argv[i] + " (see the comment at the top of bench_remote.cpp)");
  }
  if (argc % 2 == 0) throw std::runtime_error(std::string("option ") + argv[argc - 1] + " needs a value");
  o.bin = fs::absolute(o.bin).string();
  return o;
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  fs::remove_all(o.work);
  fs::create_directories(o.work + "/casync-tmp");
  const std::string root = o.work + "/root", image = o.work + "/v2.img";
  fs::create_directories(root);
  run(o.bin + " testimage --kind " + o.kind + " --size " + o.size + " --out " + o.work);
  std::vector<StoreSet> stores = {make_store(o, root, "64K", "16:64:256", image),
                                  make_store(o, root, "2M", "512K:2M:8M", image)};
  json results = {{"schema", "chunkbench.bench.remote/1"}, {"image", {{"kind", o.kind}, {"size", fs::file_size(image)}}},
                  {"reps", o.reps}, {"inflight", o.inflight ? json(o.inflight) : json("default")},
                  {"bare_streams", o.bare_streams}, {"cpus", std::thread::hardware_concurrency()},
                  {"link", "loopback 127.0.0.1, no shaping"}, {"stores", json::object()}};
  for (int delay : {0, o.delay}) {
    Server srv(o, root, "serve" + std::to_string(delay), delay);
    for (const auto& s : stores) {
      const std::string key = s.name + "-delay" + std::to_string(delay);
      results["stores"][key] = measure(o, srv, s, image, delay);
      json line = results["stores"][key];
      line.erase("extract");
      std::printf("%s\n", json{{key, line}}.dump().c_str());
      std::fflush(stdout);
    }
  }
  if (!o.out.empty()) std::ofstream(o.out) << results.dump(2) << "\n";
  fs::remove_all(o.work);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_remote: error: %s\n", e.what());
  return 1;
}
