// The library calls under the commands: stores opened from specs (each scheme, and specs that must
// fail before any work), store capabilities (batch has, list, failover, cache) and extract as one
// call, against `chunkbench serve` on 127.0.0.1. Request counts come from the server's statistics.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "chunkbench/error.hpp"
#include "chunkbench/extract.hpp"
#include "chunkbench/http_store.hpp"
#include "chunkbench/json_report.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/store_factory.hpp"
#include "remote_harness.hpp"

namespace chunkbench::test {
namespace {

DataSet& data() {
  static DataSet d;
  return d;
}

class StoreApi : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(data().ok) << "could not generate the test images"; }
  DataSet& d = data();
  TempDir tmp;
};

// The error open_store throws for `spec`, or "" when it opened.
std::pair<Errc, std::string> open_error(const std::string& spec) {
  StoreOptions o;
  try {
    open_store(spec, o);
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {Errc::usage, ""};
}

std::vector<ChunkId> distinct_ids(const Index& idx) {
  std::vector<ChunkId> ids;
  for (const auto& e : idx.entries) ids.push_back(e.id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// Most HTTP attempts that were in flight at one time, from the client's records.
std::size_t peak_in_flight(const FetchStats& stats) {
  std::vector<std::pair<double, int>> events;
  for (const auto& r : stats.records()) events.emplace_back(r.start, 1), events.emplace_back(r.end, -1);
  std::sort(events.begin(), events.end());
  int now = 0, peak = 0;
  for (auto [t, delta] : events) peak = std::max(peak, now += delta);
  return static_cast<std::size_t>(peak);
}

TEST_F(StoreApi, FactoryOpensEachScheme) {
  StoreOptions o;
  auto local = open_store(d.store, o);
  EXPECT_NE(std::dynamic_pointer_cast<LocalStore>(local), nullptr);
  EXPECT_NE(std::dynamic_pointer_cast<ListStore>(local), nullptr);
  EXPECT_NE(std::dynamic_pointer_cast<PruneStore>(local), nullptr);
  // URLs are checked, not contacted, at open time: port 1 has no server.
  auto http = open_store("http://127.0.0.1:1/store", o);
  ASSERT_NE(std::dynamic_pointer_cast<HttpStore>(http), nullptr);
  EXPECT_EQ(std::dynamic_pointer_cast<ListStore>(http), nullptr);
  auto https = open_store("https://[::1]:8443/store/", o);
  ASSERT_NE(std::dynamic_pointer_cast<HttpStore>(https), nullptr);
  // Every remote store of one options object shares one fetcher (connections, TLS sessions).
  EXPECT_EQ(std::dynamic_pointer_cast<HttpStore>(http)->shared_fetcher(),
            std::dynamic_pointer_cast<HttpStore>(https)->shared_fetcher());
  auto group = open_store(d.store + "|https://127.0.0.1:1/store", o);
  ASSERT_NE(std::dynamic_pointer_cast<FailoverStore>(group), nullptr);
  EXPECT_EQ(std::dynamic_pointer_cast<FailoverStore>(group)->stores().size(), 2u);
  auto several = open_stores({d.store, d.store1}, o);
  EXPECT_NE(std::dynamic_pointer_cast<RouterStore>(several), nullptr);
  o.create = true;
  EXPECT_NE(open_write_store(tmp / "new-store", o), nullptr);  // created by the first put
  EXPECT_TRUE(is_remote_spec("/x|https://h/s"));
  EXPECT_FALSE(is_remote_spec("/x|/y"));
}

TEST_F(StoreApi, BadSpecsFailAtOpenNamingTheSpec) {
  const std::vector<std::tuple<std::string, Errc, std::string>> bad = {
      {"/nonexistent/store", Errc::not_found, "no such directory"},
      {d.v2, Errc::usage, "not a directory"},
      {"", Errc::usage, "empty"},
      {"HTTPS://127.0.0.1/store", Errc::usage, "lower-case"},
      {"Http://127.0.0.1/store", Errc::usage, "lower-case"},
      {"ftp://127.0.0.1/store", Errc::usage, "unsupported scheme 'ftp'"},
      {"htps://127.0.0.1/store", Errc::usage, "unsupported scheme"},
      {"s3+https://bucket/prefix", Errc::usage, "no S3 credentials"},
      {"https://", Errc::usage, "no host"},
      {"https:///store", Errc::usage, "no host"},
      {"http://:8080/store", Errc::usage, "no host"},
      {"http://127.0.0.1:99999/store", Errc::usage, "port"},
      {"http://127.0.0.1:80x/store", Errc::usage, "port"},
      {"https://user:secret@127.0.0.1/store", Errc::usage, "user names or passwords"},
      {"http://127.0.0.1/a b", Errc::usage, "malformed"},
      {d.store + "|", Errc::usage, "empty member"},
      {"|" + d.store, Errc::usage, "empty member"},
      {d.store + "|/nonexistent", Errc::not_found, "store /nonexistent: no such directory"},
  };
  for (const auto& [spec, code, why] : bad) {
    auto [c, msg] = open_error(spec);
    ASSERT_FALSE(msg.empty()) << "opened " << spec;
    EXPECT_EQ(c, code) << spec << ": " << msg;
    EXPECT_EQ(msg.rfind("store ", 0), 0u) << msg;
    EXPECT_NE(msg.find(why), std::string::npos) << msg;
    EXPECT_EQ(msg.find("secret"), std::string::npos) << "a password in a message: " << msg;
  }
  StoreOptions o;
  EXPECT_THROW(open_write_store("http://127.0.0.1/store", o), Error);
}

TEST_F(StoreApi, CommandsRejectBadSpecsBeforeAnyWork) {
  const std::string out = tmp / "out.img";
  for (const std::string& spec : std::vector<std::string>{"/nonexistent", "'" + d.store + "|'", "'htps://127.0.0.1/x'", "HTTPS://127.0.0.1/x"}) {
    auto r = extract("-s " + spec + " " + d.v2_idx + " " + out);
    EXPECT_NE(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("store "), std::string::npos) << r.out;
    EXPECT_FALSE(exists(out));
    auto info = run(chunkbench_bin() + " info -s " + spec + " " + d.v2_idx);
    EXPECT_NE(info.status, 0) << info.out;
  }
}

TEST_F(StoreApi, BatchHasAsksConcurrentlyOnOneConnection) {
  // Every response is held 100 ms: one HEAD after another would take N x 100 ms.
  Serve srv(tmp, d.root, {"--response-delay", "100ms"});
  ASSERT_TRUE(srv.ok()) << srv.log();
  Index idx = Index::read(d.v2_idx);
  std::vector<ChunkId> ids = distinct_ids(idx);
  ids.resize(std::min<std::size_t>(ids.size(), 60));
  ChunkId absent;
  absent.bytes.fill(0xab);
  ids.push_back(absent);
  StoreOptions o;
  o.http.ca_file = srv.ca();
  o.http.version = HttpOptions::Version::http2;
  o.http.in_flight = 32;
  o.stats = std::make_shared<FetchStats>();
  auto store = open_store(srv.url("store/"), o);
  std::vector<bool> has = store->has_batch(ids);
  ASSERT_EQ(has.size(), ids.size());
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) EXPECT_TRUE(has[i]) << i;
  EXPECT_FALSE(has.back());
  EXPECT_GE(peak_in_flight(*o.stats), 8u) << "HEADs were not concurrent";
  auto stats = srv.stop_and_stats();
  EXPECT_EQ(stats["protocols"]["h2"]["requests"], ids.size());  // one HEAD per id, no more
  EXPECT_EQ(stats["protocols"]["h2"]["connections"], 1);
  EXPECT_EQ(stats["protocols"]["h2"]["status"]["4xx"], 1);
  EXPECT_EQ(stats["faults"]["response_delay"], ids.size());  // every request was held, so overlap is the speed-up
  // The server saw the HEADs overlap on its one connection, not only the client's records.
  EXPECT_GE(stats["protocols"]["h2"]["peak_concurrent_streams"].get<std::uint64_t>(), 8u);
}

TEST_F(StoreApi, InfoOnARemoteStoreUsesOneBatchOfHeads) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = run(chunkbench_bin() + " info --json --ca " + srv.ca() + " -s " + srv.url("store1/") + " " + d.v2_idx);
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
  EXPECT_EQ(j["schema"], "chunkbench.info/1");
  const auto unique = j["unique"].get<std::uint64_t>();
  EXPECT_EQ(j["in_store"].get<std::uint64_t>() + j["missing"].get<std::uint64_t>(), unique);
  EXPECT_EQ(j["missing"].get<std::uint64_t>(), d.v2_new_ids);
  auto stats = srv.stop_and_stats();
  EXPECT_EQ(stats["total"]["requests"], unique);
  EXPECT_EQ(stats["total"]["connections"], 1);
}

TEST_F(StoreApi, FailoverMovesToTheNextMirrorWhenOneFails) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  StoreOptions o;
  o.http.ca_file = srv.ca();
  o.http.retries = 0;
  o.http.connect_timeout = 2;
  const std::string dead = "https://127.0.0.1:" + std::to_string(free_port()) + "/store/";
  auto group = open_store(dead + "|" + srv.url("store/"), o);
  Index idx = Index::read(d.v2_idx);
  std::vector<ChunkId> ids = distinct_ids(idx);
  std::vector<bool> has = group->has_batch(ids);
  EXPECT_EQ(std::count(has.begin(), has.end(), true), static_cast<long>(ids.size()));
  EXPECT_TRUE(group->get(ids.front()).has_value());
}

TEST_F(StoreApi, CacheStoreWritesThroughAndServesTheNextRunLocally) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  StoreOptions o;
  o.http.ca_file = srv.ca();
  o.create = true;
  auto local = open_write_store(tmp / "cache", o);
  auto cache = std::make_shared<CacheStore>(local, open_store(srv.url("store/"), o), DigestKind::sha512_256);
  Index idx = Index::read(d.v2_idx);
  std::vector<ChunkId> ids = distinct_ids(idx);
  class Count : public ChunkSink {
   public:
    void chunk(std::size_t, ChunkData, const std::string&) override { ++got; }
    void missing(std::size_t) override { ++lost; }
    std::size_t got = 0, lost = 0;
  } first, second;
  cache->fetch(ids, first);
  EXPECT_EQ(first.got, ids.size());
  EXPECT_EQ(cache->cached(), ids.size());
  const auto requests = srv.stop_and_stats()["total"]["requests"].get<std::size_t>();
  EXPECT_EQ(requests, ids.size());
  cache->fetch(ids, second);  // the server is gone: everything must come from the cache
  EXPECT_EQ(second.got, ids.size());
  EXPECT_EQ(second.lost, 0u);
  std::size_t listed = 0;
  std::dynamic_pointer_cast<ListStore>(local)->list([&](const StoredChunk& c) {
    ++listed;
    EXPECT_GT(c.size, 0u);
    EXPECT_GT(c.mtime, 0);
  });
  EXPECT_EQ(listed, ids.size());
}

TEST_F(StoreApi, ExtractIsOneLibraryCall) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  std::size_t seen = 0;
  ExtractRequest req;
  req.index_path = d.v2_idx;
  req.output = tmp / "out.img";
  req.seeds = {d.v1};
  req.stores = {srv.url("store/")};
  req.http.ca_file = srv.ca();
  req.http.version = HttpOptions::Version::http2;
  req.on_request = [&](const RequestRecord&) { ++seen; };
  ExtractReport rep = extract(req);
  EXPECT_TRUE(same_file(req.output, d.v2));
  EXPECT_EQ(rep.protocol, "2");
  EXPECT_EQ(rep.http.in_flight, default_window(Index::read(d.v2_idx)));  // 16 MiB / 64 KiB -> 64
  EXPECT_EQ(rep.stats.chunks_fetched, d.v2_new_ids);
  EXPECT_EQ(seen, rep.network.requests);
  auto j = nlohmann::json::parse(to_json(rep));
  EXPECT_EQ(j["schema"], "chunkbench.extract/1");
  EXPECT_EQ(j["network"]["requests"], seen);
  auto stats = srv.stop_and_stats();
  EXPECT_EQ(stats["total"]["requests"], seen);

  // A bad spec fails before anything is written or asked.
  ExtractRequest bad = req;
  bad.output = tmp / "never.img";
  bad.stores = {srv.url("store/"), "/nonexistent"};
  EXPECT_THROW(extract(bad), Error);
  EXPECT_FALSE(exists(bad.output));
}

TEST_F(StoreApi, FetcherSendsMethodsBodiesAndHeadersAndReturnsResponseHeaders) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  HttpOptions o;
  o.ca_file = srv.ca();
  BatchFetcher f(o, nullptr);
  HttpRequest head = HttpRequest::head_of(srv.url("v2.img"));
  head.headers = {"X-Chunkbench-Test: 1"};
  HttpResponse h = f.one(head);
  EXPECT_EQ(h.status, 200);
  ASSERT_NE(h.header("content-length"), nullptr);
  EXPECT_EQ(std::stoull(*h.header("content-length")), std::filesystem::file_size(d.v2));
  EXPECT_NE(h.header("etag"), nullptr);
  HttpRequest put = HttpRequest::get(srv.url("v2.img"));
  put.method = "PUT";
  put.body = {1, 2, 3};
  HttpResponse p = f.one(put);
  EXPECT_EQ(p.status, 405);  // the server is read-only: the method reached it
  ASSERT_NE(p.header("allow"), nullptr);
  EXPECT_EQ(*p.header("allow"), "GET, HEAD");
  HttpResponse g = f.one(HttpRequest::get(srv.url("v2.img")));  // the reused handle is a GET again
  EXPECT_EQ(g.status, 200);
  EXPECT_EQ(g.body.size(), std::filesystem::file_size(d.v2));
}

}  // namespace
}  // namespace chunkbench::test
