// Remote extract end to end: the chunkbench binary against real servers on 127.0.0.1.
#include <gtest/gtest.h>

#include "remote_harness.hpp"

namespace chunkbench::test {
namespace {

DataSet& data() {
  static DataSet d;
  return d;
}

class Remote : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(data().ok) << "could not generate the test images"; }
  DataSet& d = data();
  TempDir tmp;
  std::string out = tmp / "out.img";
};

TEST_F(Remote, Http2ThroughServeNegotiatesH2OnOneConnection) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " --http 2 -n 32 --json " + d.v2_idx + " " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(same_file(out, d.v2));
  const auto& net = r.json["network"];
  EXPECT_EQ(net["protocol"], "2");
  EXPECT_EQ(net["protocols"]["2"], r.json["chunks_fetched"]);
  EXPECT_EQ(net["connections_opened"], 1) << "PIPEWAIT should keep all streams on one connection";
  EXPECT_EQ(r.json["chunks_fetched"].get<std::size_t>(), d.v2_chunks);
  EXPECT_GT(net["request_seconds"]["p50"].get<double>(), 0);
  auto stats = srv.stop_and_stats();
  EXPECT_EQ(stats["protocols"]["h2"]["requests"], r.json["chunks_fetched"]);
}

TEST_F(Remote, Http11ThroughServeUsesSeveralConnections) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-s " + srv.url("store") + " --ca " + srv.ca() + " --http 1.1 -n 8 --connections 4 --json " +
                   d.v2_idx + " " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(same_file(out, d.v2));
  EXPECT_EQ(r.json["network"]["protocol"], "1.1");
  auto conns = r.json["network"]["connections_opened"].get<int>();
  EXPECT_GE(conns, 2);
  EXPECT_LE(conns, 4);
  auto stats = srv.stop_and_stats();
  EXPECT_EQ(stats["protocols"]["http/1.1"]["requests"], r.json["chunks_fetched"]);
}

TEST_F(Remote, StreamsAndConnectionsBoundTheH2Connections) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  // 16 in flight, 4 streams per connection, at most 3 connections: curl must open exactly 3.
  auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " --http 2 -n 16 --streams 4 --connections 3 --json " +
                   d.v2_idx + " " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(same_file(out, d.v2));
  EXPECT_EQ(r.json["network"]["connections_opened"], 3);
  auto stats = srv.stop_and_stats();
  EXPECT_EQ(stats["protocols"]["h2"]["connections"], 3);
}

// The connection counts the server saw (serve-stats/1) are what the options say, for both protocols.
TEST_F(Remote, ConnectionsOptionHonouredForH1AndH2PerServerStats) {
  for (const char* http : {"1.1", "2"}) {
    SCOPED_TRACE(http);
    Serve srv(tmp, d.root, {}, std::string("serve-") + http);
    ASSERT_TRUE(srv.ok()) << srv.log();
    auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " --http " + http +
                     " -n 32 --connections 4 --json " + d.v2_idx + " " + out);
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(same_file(out, d.v2));
    EXPECT_EQ(r.json["network"]["connections_opened"], 4);
    EXPECT_EQ(r.json["network"]["link"]["connections"], 4);
    auto stats = srv.stop_and_stats();
    EXPECT_EQ(stats["schema"], "chunkbench.serve-stats/1");
    EXPECT_EQ(stats["connections_accepted"], 4);
    EXPECT_EQ(stats["protocols"][std::string(http) == "2" ? "h2" : "http/1.1"]["connections"], 4);
    ::unlink(out.c_str());
  }
}

// Without --connections, HTTP/2 opens what the link needs: one on loopback, however many streams
// are asked for (libcurl alone opened one connection per stream beyond the first 100).
TEST_F(Remote, ManyH2StreamsOnLoopbackStayOnOneConnection) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " --http 2 -n 256 --streams 256 --json " +
                   d.v2_idx + " " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(same_file(out, d.v2));
  EXPECT_EQ(r.json["network"]["connections_opened"], 1);
  auto stats = srv.stop_and_stats();
  EXPECT_EQ(stats["connections_accepted"], 1);
  EXPECT_EQ(stats["protocols"]["h2"]["requests"], r.json["chunks_fetched"]);
}

TEST_F(Remote, ForcedH2AgainstAnH1OnlyServerFailsClearly) {
  Serve srv(tmp, d.root, {"--protocols", "http/1.1"});
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " --http 2 " + d.v2_idx + " " + out);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("HTTP/1.1 although HTTP/2 was required"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(srv.url("store/")), std::string::npos) << "the error names the URL: " << r.out;
  EXPECT_FALSE(exists(out));
}

TEST_F(Remote, UntrustedCertificateIsRefused) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-s " + srv.url("store/") + " --retries 3 " + d.v2_idx + " " + out);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("certificate"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("attempts"), std::string::npos) << "trust failures are not retried: " << r.out;
  EXPECT_FALSE(exists(out));
}

TEST_F(Remote, SeededUpdateRequestsOnlyMissingChunks) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " --seed " + d.v1 + " --json " + d.v2_idx + " " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(same_file(out, d.v2));
  EXPECT_GT(r.json["chunks_from_seeds"].get<std::size_t>(), 0u);
  EXPECT_EQ(r.json["chunks_fetched"].get<std::size_t>(), d.v2_new_ids);
  EXPECT_LT(d.v2_new_ids, d.v2_chunks / 2);
  auto stats = srv.stop_and_stats();
  EXPECT_EQ(stats["total"]["requests"].get<std::size_t>(), d.v2_new_ids) << "the server counted other requests";
}

TEST_F(Remote, MissingChunkFallsThroughToTheNextStoreLocalOrRemote) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  // store1 holds only v1's chunks: the rest is missing there (404) and comes from the local store.
  auto r = extract("-s " + srv.url("store1/") + " -s " + d.store + " --ca " + srv.ca() + " --json " + d.v2_idx + " " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(same_file(out, d.v2));
  EXPECT_EQ(r.json["network"]["requests"].get<std::size_t>(), d.v2_chunks);
  // And the other way round: a local store that lacks chunks, then a remote one.
  std::string out2 = tmp / "out2.img";
  auto r2 = extract("-s " + d.store1 + " -s " + srv.url("store/") + " --ca " + srv.ca() + " --json " + d.v2_idx + " " + out2);
  ASSERT_EQ(r2.status, 0) << r2.out;
  EXPECT_TRUE(same_file(out2, d.v2));
  EXPECT_EQ(r2.json["network"]["requests"].get<std::size_t>(), d.v2_new_ids);
}

TEST_F(Remote, UncompressedStoreUsesBareIdUrlsAndResumesInPlace) {
  std::string root = tmp / "uroot";
  auto mk = run(chunkbench_bin() + " make -u -s " + root + "/store " + (tmp / "u.caibx") + " " + d.v2);
  ASSERT_EQ(mk.status, 0) << mk.out;
  Serve srv(tmp, root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-u -s " + srv.url("store/") + " --ca " + srv.ca() + " --json --stats-out " + (tmp / "s.json") + " " +
                   (tmp / "u.caibx") + " " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(same_file(out, d.v2));
  auto records = nlohmann::json::parse(slurp(tmp / "s.json"))["records"];
  ASSERT_FALSE(records.empty());
  for (const auto& rec : records) EXPECT_EQ(rec["url"].get<std::string>().find(".cacnk"), std::string::npos);
  // --in-place over a copy with one damaged chunk: only that chunk is fetched again.
  std::string partial = tmp / "partial.img";
  run("cp " + d.v2 + " " + partial + " && printf 'XXXX' | dd of=" + partial + " bs=1 seek=100000 conv=notrunc 2>/dev/null");
  auto k = extract("-u -s " + srv.url("store/") + " --ca " + srv.ca() + " --in-place --json " + (tmp / "u.caibx") + " " + partial);
  ASSERT_EQ(k.status, 0) << k.out;
  EXPECT_TRUE(same_file(partial, d.v2));
  EXPECT_EQ(k.json["network"]["requests"], 1);
}

TEST_F(Remote, ChunkInNoStoreIsAClearErrorAndNoOutput) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-s " + srv.url("store1/") + " --ca " + srv.ca() + " " + d.v2_idx + " " + out);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("is in none of the stores"), std::string::npos) << r.out;
  EXPECT_FALSE(exists(out));
}

TEST_F(Remote, RangeModeReadsGapsFromTheImage) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("--source " + srv.url("v2.img") + " --ca " + srv.ca() + " --seed " + d.v1 +
                   " --max-span 256K --json --stats-out " + (tmp / "req.json") + " " + d.v2_idx + " " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(same_file(out, d.v2));
  EXPECT_EQ(r.json["source_mode"], "range");
  EXPECT_EQ(r.json["chunks_fetched"], 0);
  EXPECT_GT(r.json["chunks_from_range"].get<std::size_t>(), 0u);
  auto reqs = r.json["range_requests"].get<std::size_t>();
  // Adjacent chunks are coalesced, so fewer requests than chunks...
  EXPECT_LT(reqs, r.json["chunks_from_range"].get<std::size_t>());
  // ... and no span longer than --max-span unless it is one chunk.
  auto records = nlohmann::json::parse(slurp(tmp / "req.json"))["records"];
  ASSERT_EQ(records.size(), reqs);
  for (const auto& rec : records) {
    EXPECT_EQ(rec["status"], 206);
    EXPECT_LE(rec["range"][1].get<std::uint64_t>(), 256u * 1024 + 262144u);
  }
  EXPECT_LT(r.json["bytes_range_fetched"].get<std::uint64_t>(), r.json["bytes_total"].get<std::uint64_t>() / 2);
}

TEST_F(Remote, AutoModeFollowsTheCostModel) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  const std::string common = "-s " + srv.url("store/") + " --source " + srv.url("v2.img") + " --ca " + srv.ca() +
                             " --source-mode auto -n 16 --json " + d.v2_idx + " ";
  // Long round trips: one gap of 90+ chunks costs ~6 round trips from the store, one Range request.
  auto far = extract(common + "--rtt 1 " + out);
  ASSERT_EQ(far.status, 0) << far.out;
  EXPECT_TRUE(same_file(out, d.v2));
  EXPECT_EQ(far.json["source_mode"], "auto");
  EXPECT_EQ(far.json["gaps_to_range"], far.json["gaps"]);
  EXPECT_EQ(far.json["chunks_fetched"], 0);
  EXPECT_TRUE(far.json["cost_model"]["measured"].get<bool>());
  // The store and the image share one multi, hence one h2 connection for HEADs and Range GETs.
  EXPECT_EQ(far.json["network"]["connections_opened"], 1);
  double compression = far.json["cost_model"]["compression"].get<double>();
  EXPECT_GT(compression, 0.1);
  EXPECT_LT(compression, 0.9) << "the synthetic image compresses; the HEADs should have measured that";
  // Short round trips: the compressed store moves fewer bytes and wins.
  std::string out2 = tmp / "out2.img";
  auto near = extract(common + "--rtt 0.0001 " + out2);
  ASSERT_EQ(near.status, 0) << near.out;
  EXPECT_TRUE(same_file(out2, d.v2));
  EXPECT_EQ(near.json["gaps_to_store"], near.json["gaps"]);
  EXPECT_EQ(near.json["range_requests"], 0);
}

TEST_F(Remote, TransientFaultsAreRetriedToAnIdenticalImage) {
  struct Case {
    std::vector<std::string> flags;
    std::string extra;
  };
  const Case cases[] = {
      {{"--fault-5xx-rate", "0.3"}, ""},
      {{"--fault-reset-rate", "0.3"}, ""},
      {{"--fault-stall-rate", "0.1"}, "--timeout-stall 1"},
      {{"--response-delay", "30"}, ""},
      {{"--slow-body", "4000000"}, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.flags[0]);
    Serve srv(tmp, d.root, c.flags, "serve" + c.flags[0]);
    ASSERT_TRUE(srv.ok()) << srv.log();
    std::string o = tmp / ("out" + c.flags[0] + ".img");
    auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " --retries 8 --json " + c.extra + " " +
                     d.v2_idx + " " + o, 120);
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_TRUE(same_file(o, d.v2));
    if (c.flags[0].find("rate") != std::string::npos) {
      EXPECT_GT(r.json["network"]["retries"].get<int>(), 0);
    }
  }
}

TEST_F(Remote, PermanentFaultsEndInAnErrorNamingTheUrl) {
  Serve srv(tmp, d.root, {"--fault-5xx", "store/"});
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " --retries 2 " + d.v2_idx + " " + out);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("HTTP status 503 (after 3 attempts)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(srv.url("store/")), std::string::npos) << r.out;
  EXPECT_FALSE(exists(out));
}

TEST_F(Remote, StalledBodyTimesOutAndFailsWithoutRetries) {
  Serve srv(tmp, d.root, {"--fault-stall-rate", "1"});
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto t0 = std::chrono::steady_clock::now();
  auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " --retries 0 --timeout-stall 1 " + d.v2_idx + " " + out);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("Timeout was reached"), std::string::npos) << r.out;
  EXPECT_LT(s, 40);  // gives up after the 1 s stall; without that it would hang until the harness kills it at 60 s
  EXPECT_FALSE(exists(out));
}

TEST_F(Remote, CorruptBodyIsFetchedAgainOnce) {
  // serve draws faults per response from a seeded generator (one event loop): the first ~120
  // draws pick the chunks corrupted in the first round, the next ones those of the re-fetch, so
  // the outcome is the same on every run whatever the request order. Seed 1 at 5 %: a few chunks
  // are corrupted once, none twice.
  Serve srv(tmp, d.root, {"--fault-corrupt-rate", "0.05", "--fault-seed", "1", "--threads", "1"});
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " --json " + d.v2_idx + " " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(same_file(out, d.v2));
  const auto again = r.json["chunks_refetched"].get<std::size_t>();
  EXPECT_GT(again, 0u);
  EXPECT_EQ(r.json["network"]["requests"].get<std::size_t>(), d.v2_chunks + again);
  auto stats = srv.stop_and_stats();
  EXPECT_EQ(stats["faults"]["corrupt"].get<std::size_t>(), again);
}

TEST_F(Remote, AlwaysCorruptBodyFailsNamingChunkAndUrl) {
  Serve srv(tmp, d.root, {"--fault-corrupt-rate", "1"});
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " " + d.v2_idx + " " + out);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("failed verification twice (fetched again once)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(srv.url("store/")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(".cacnk"), std::string::npos) << r.out;
  EXPECT_FALSE(exists(out));
}

TEST_F(Remote, CorruptRangeBodyFailsNamingTheRange) {
  Serve srv(tmp, d.root, {"--fault-corrupt-rate", "1"});
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("--source " + srv.url("v2.img") + " --ca " + srv.ca() + " --seed " + d.v1 + " " + d.v2_idx + " " + out);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("failed verification twice"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(srv.url("v2.img") + " (bytes "), std::string::npos) << r.out;
  EXPECT_FALSE(exists(out));
}

TEST_F(Remote, ConnectionRefusedIsRetriedThenNamed) {
  int port = free_port();
  std::string url = "https://127.0.0.1:" + std::to_string(port) + "/store/";
  auto r = extract("-s " + url + " --retries 1 " + d.v2_idx + " " + out);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find(url), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("after 2 attempts"), std::string::npos) << r.out;
  EXPECT_FALSE(exists(out));
}

TEST_F(Remote, StatsOutHasOneRecordPerRequest) {
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " --json --stats-out " + (tmp / "s.json") + " " +
                   d.v2_idx + " " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(slurp(tmp / "s.json"));
  ASSERT_EQ(j["records"].size(), d.v2_chunks);
  std::size_t reused = 0, bytes = 0;
  for (const auto& rec : j["records"]) {
    EXPECT_EQ(rec["status"], 200);
    EXPECT_LE(rec["start"].get<double>(), rec["first_byte"].get<double>());
    EXPECT_LE(rec["first_byte"].get<double>(), rec["end"].get<double>());
    reused += rec["reused_connection"].get<bool>();
    bytes += rec["bytes"].get<std::size_t>();
  }
  EXPECT_EQ(reused, d.v2_chunks - 1);
  EXPECT_EQ(bytes, r.json["bytes_fetched"].get<std::size_t>());
}

// Requests held for a busy connection: their wait is the queue figure, not part of the TTFB.
// One HTTP/1.1 connection, every answer delayed 50 ms: request k cannot go out before k x 50 ms.
TEST_F(Remote, QueuedStreamsReportQueueTimeApartFromTtfb) {
  Serve srv(tmp, d.root, {"--response-delay", "50"});
  ASSERT_TRUE(srv.ok()) << srv.log();
  auto r = extract("-s " + srv.url("store/") + " --ca " + srv.ca() + " --http 1.1 --connections 1 -n 8 --json" +
                   " --stats-out " + (tmp / "s.json") + " " + d.v2_idx + " " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(slurp(tmp / "s.json"));
  std::size_t queued = 0;
  for (const auto& rec : j["records"]) {
    const double start = rec["start"], sent = rec["sent"], first = rec["first_byte"], end = rec["end"];
    EXPECT_LE(start, sent);
    EXPECT_LE(sent, first);
    EXPECT_LE(first, end);
    EXPECT_GE(first - sent, 0.045) << "the server held every answer 50 ms after it arrived (its timer may fire early by a tick)";
    EXPECT_LE(rec["queue"].get<double>(), sent - start + 1e-6);
    queued += rec["queue"].get<double>() >= 0.05;
  }
  EXPECT_GE(queued, j["records"].size() / 2) << "most requests waited for the connection";
  EXPECT_GE(r.json["network"]["queue_seconds"]["max"].get<double>(), 0.05);
}

// nginx as a production-like server: h2 over TLS with our CA, and plain http/1.1 on a second port.
TEST_F(Remote, ThroughNginxOverH2AndPlainHttp) {
  if (!have_program("nginx") && !exists("/usr/sbin/nginx")) GTEST_SKIP() << "nginx is not installed";
  // Borrow serve's generated CA and certificate? serve does not export its key, so make our own.
  std::string key = tmp / "key.pem", crt = tmp / "crt.pem";
  auto g = run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout " + key +
               " -out " + crt + " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1");
  ASSERT_EQ(g.status, 0) << g.out;
  std::string prefix = tmp / "nginx";
  run("mkdir -p " + prefix + "/logs " + prefix + "/tmp");
  int tls_port = free_port(), plain_port = free_port();
  std::ofstream(prefix + "/nginx.conf")
      << "daemon off; master_process off; worker_processes 1; error_log " << prefix << "/logs/error.log; pid "
      << prefix << "/nginx.pid;\n"
      << "events { worker_connections 256; }\n"
      << "http { access_log " << prefix << "/logs/access.log; client_body_temp_path " << prefix
      << "/tmp; proxy_temp_path " << prefix << "/tmp; fastcgi_temp_path " << prefix << "/tmp; uwsgi_temp_path "
      << prefix << "/tmp; scgi_temp_path " << prefix << "/tmp;\n"
      << " server { listen 127.0.0.1:" << tls_port << " ssl http2; ssl_certificate " << crt
      << "; ssl_certificate_key " << key << "; root " << d.root << "; }\n"
      << " server { listen 127.0.0.1:" << plain_port << "; root " << d.root << "; } }\n";
  std::string nginx = exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
  Child ng({nginx, "-c", prefix + "/nginx.conf", "-p", prefix}, tmp / "nginx.log");
  for (int i = 0; i < 500 && !(port_open(tls_port) && port_open(plain_port)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(port_open(tls_port)) << slurp(tmp / "nginx.log") << slurp(prefix + "/logs/error.log");

  std::string tls = "https://127.0.0.1:" + std::to_string(tls_port) + "/";
  auto r = extract("-s " + tls + "store/ --ca " + crt + " --http 2 --json --seed " + d.v1 + " " + d.v2_idx + " " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(same_file(out, d.v2));
  EXPECT_EQ(r.json["network"]["protocol"], "2");
  EXPECT_EQ(r.json["chunks_fetched"].get<std::size_t>(), d.v2_new_ids);

  std::string plain = "http://127.0.0.1:" + std::to_string(plain_port) + "/";
  std::string out2 = tmp / "out2.img";
  auto r2 = extract("-s " + plain + "store/ --json " + d.v2_idx + " " + out2);
  ASSERT_EQ(r2.status, 0) << r2.out;
  EXPECT_TRUE(same_file(out2, d.v2));
  EXPECT_EQ(r2.json["network"]["protocol"], "1.1");

  // nginx's Range support for the range mode, over h2.
  std::string out3 = tmp / "out3.img";
  auto r3 = extract("--source " + tls + "v2.img --ca " + crt + " --seed " + d.v1 + " --json " + d.v2_idx + " " + out3);
  ASSERT_EQ(r3.status, 0) << r3.out;
  EXPECT_TRUE(same_file(out3, d.v2));
  EXPECT_GT(r3.json["range_requests"].get<int>(), 0);
}

// casync (through casync-https, one curl easy handle) reading a store from our server.
TEST_F(Remote, CasyncExtractsFromServe) {
  if (!exists("/usr/bin/casync")) GTEST_SKIP() << "casync is not installed";
  Serve srv(tmp, d.root);
  ASSERT_TRUE(srv.ok()) << srv.log();
  // casync-https is libcurl with verification on and no CA option, and libcurl reads no CA from
  // the environment: the CA is bind-mounted over the system bundle in a private mount namespace
  // (root only), which leaves the machine's trust store untouched.
  if (run("unshare -m true").status != 0) GTEST_SKIP() << "no private mount namespace (unshare -m needs root)";
  const std::string bundle = "/etc/ssl/certs/ca-certificates.crt";
  if (!exists(bundle)) GTEST_SKIP() << bundle << " is absent";
  run("mkdir -p " + (tmp / "casync-tmp"));
  auto r = run("cd " + tmp.path() + " && TMPDIR=" + (tmp / "casync-tmp") + " timeout -s KILL 120 unshare -m sh -c 'mount --bind " +
               srv.ca() + " " + bundle + " && exec casync extract --store=" + srv.url("store/") + " " + d.v2_idx + " " +
               out + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(same_file(out, d.v2));
  auto stats = srv.stop_and_stats();
  EXPECT_GE(stats["total"]["requests"].get<std::size_t>(), d.v2_chunks);
}

}  // namespace
}  // namespace chunkbench::test

namespace chunkbench::test {
namespace {

// Ctrl-C or SIGTERM in the middle of a download: the temporary output is removed, nothing appears
// under the output name, and the exit status says which signal ended it.
TEST_F(Remote, InterruptRemovesTheTemporaryOutput) {
  Serve srv(tmp, d.root, {"--response-delay", "100"});
  ASSERT_TRUE(srv.ok()) << srv.log();
  for (int sig : {SIGINT, SIGTERM}) {
    Child x({chunkbench_bin(), "extract", "-s", srv.url("store/"), "--ca", srv.ca(), "-n", "2", d.v2_idx, out},
            tmp / "x.log");
    // Wait until the temporary file exists, i.e. the extract is under way.
    bool started = false;
    for (int i = 0; i < 3000 && !started; ++i) {  // up to 30 s on a busy machine; usually a few ms
      for (const auto& e : std::filesystem::directory_iterator(tmp.path()))
        started = started || e.path().filename().string().rfind(".out.img.chunkbench-", 0) == 0;
      if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(started) << slurp(tmp / "x.log");
    EXPECT_EQ(x.stop(sig), 128 + sig) << slurp(tmp / "x.log");
    EXPECT_FALSE(exists(out));
    for (const auto& e : std::filesystem::directory_iterator(tmp.path()))
      EXPECT_EQ(e.path().filename().string().find("chunkbench-"), std::string::npos) << e.path();
    EXPECT_NE(slurp(tmp / "x.log").find("interrupted by signal"), std::string::npos);
  }
}

}  // namespace
}  // namespace chunkbench::test
