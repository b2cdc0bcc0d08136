// Dynamic TLS record sizing (issue 10, "early first bytes"): a raw OpenSSL client that records the
// header of every TLS record the server sends (SSL_CTX_set_msg_callback: length from the 5-byte header,
// TLS 1.3's real content type from the inner type byte) over h1 and over a hand-framed h2 request.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.hpp"

using namespace cbtest;

namespace {

struct Record {
  int type;         // 23 = application data (the inner type under TLS 1.3)
  std::size_t len;  // ciphertext length from the record header (the record is len + 5 bytes on the wire)
  std::size_t received_before;  // application bytes SSL_read had returned before this record arrived
};

class TlsClient {
 public:
  TlsClient(int port, const std::string& ca, const std::string& alpn) {
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_load_verify_locations(ctx_.get(), ca.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_msg_callback(ctx_.get(), on_msg);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect");
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_msg_callback_arg(ssl_.get(), this);
    std::string wire(1, static_cast<char>(alpn.size()));
    wire += alpn;
    SSL_set_alpn_protos(ssl_.get(), reinterpret_cast<const unsigned char*>(wire.data()), static_cast<unsigned>(wire.size()));
    SSL_set1_host(ssl_.get(), "127.0.0.1");
    SSL_set_fd(ssl_.get(), fd_);
    if (SSL_connect(ssl_.get()) != 1) throw std::runtime_error("TLS handshake failed");
  }
  ~TlsClient() {
    ssl_.reset();
    ::close(fd_);
  }
  void write(const std::string& s) {
    if (SSL_write(ssl_.get(), s.data(), static_cast<int>(s.size())) != static_cast<int>(s.size()))
      throw std::runtime_error("SSL_write");
  }
  // Reads until `n` more application bytes arrived (or EOF); returns them.
  std::string read(std::size_t n) {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
      int r = SSL_read(ssl_.get(), buf, static_cast<int>(std::min(sizeof buf, n - out.size())));
      if (r <= 0) break;
      out.append(buf, static_cast<std::size_t>(r));
      received_ += static_cast<std::size_t>(r);
    }
    return out;
  }
  // The application-data records received since index `from`.
  std::vector<Record> app_records(std::size_t from = 0) const {
    std::vector<Record> out;
    for (std::size_t i = from; i < records_.size(); ++i)
      if (records_[i].type == 23) out.push_back(records_[i]);
    return out;
  }
  std::size_t record_count() const { return records_.size(); }

 private:
  static void on_msg(int write_p, int, int content_type, const void* buf, std::size_t len, SSL*, void* arg) {
    auto* self = static_cast<TlsClient*>(arg);
    if (write_p || !self) return;
    const auto* p = static_cast<const unsigned char*>(buf);
    if (content_type == SSL3_RT_HEADER && len == 5)
      self->records_.push_back({p[0], (std::size_t(p[3]) << 8) | p[4], self->received_});
    else if (content_type == SSL3_RT_INNER_CONTENT_TYPE && len == 1 && !self->records_.empty())
      self->records_.back().type = p[0];
  }
  struct Free {
    void operator()(SSL* p) const { SSL_free(p); }
    void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
  };
  std::unique_ptr<SSL_CTX, Free> ctx_;
  std::unique_ptr<SSL, Free> ssl_;
  int fd_ = -1;
  std::vector<Record> records_;
  std::size_t received_ = 0;
};

// The largest ciphertext of a record carrying at most 1360 plaintext bytes is 1360 + 1 + 16 (TLS 1.3)
// or 1360 + 8 + 16 (TLS 1.2 GCM): with the 5-byte header it fits 1400 bytes, about one segment.
constexpr std::size_t kSmallCipher = 1400 - 5;
constexpr std::size_t kFullCipher = 16384;  // a record carrying 16 KiB has at least this much ciphertext

std::string h1_get(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"; }

// Reads one HTTP/1.1 response whose body has `body` bytes; returns the bytes read.
std::size_t read_h1_response(TlsClient& c, std::size_t body) {
  std::string head;
  while (head.find("\r\n\r\n") == std::string::npos) {
    std::string b = c.read(1);
    if (b.empty()) throw std::runtime_error("EOF in headers");
    head += b;
  }
  return head.size() + c.read(body).size();
}

// h2 by hand: the preface, SETTINGS with the largest stream window, a connection WINDOW_UPDATE, and one
// HEADERS frame (HPACK: indexed :method GET / :scheme https, literal :path and :authority).
std::string h2_request(const std::string& path) {
  auto frame = [](std::uint8_t type, std::uint8_t flags, std::uint32_t stream, const std::string& payload) {
    std::string f;
    f += static_cast<char>(payload.size() >> 16);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size());
    f += static_cast<char>(type);
    f += static_cast<char>(flags);
    for (int s = 24; s >= 0; s -= 8) f += static_cast<char>(stream >> s);
    return f + payload;
  };
  auto u32 = [](std::uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
  };
  std::string settings = std::string("\x00\x04", 2) + u32(0x7fffffff);  // SETTINGS_INITIAL_WINDOW_SIZE
  std::string hpack = "\x82\x87";
  hpack += '\x04';
  hpack += static_cast<char>(path.size());
  hpack += path;
  hpack += '\x01';
  hpack += static_cast<char>(9);
  hpack += "127.0.0.1";
  return "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, settings) + frame(8, 0, 0, u32(0x7fffffff - 65535)) +
         frame(1, 0x05, 1, hpack);  // END_STREAM | END_HEADERS
}

class ServeRecords : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(dir / "www/small.bin", pattern(64 << 10, 5));
    write_file(dir / "www/big.bin", pattern(3 << 20, 6));
  }
  TempDir dir;
};

TEST_F(ServeRecords, FirstResponseRecordsAreSmallThenGrowHttp1) {
  ServeProcess server(dir / "www", {}, dir);
  TlsClient c(server.port(), server.ca(), "http/1.1");
  c.write(h1_get("/big.bin"));
  read_h1_response(c, 3 << 20);
  auto recs = c.app_records();
  ASSERT_FALSE(recs.empty());
  EXPECT_LE(recs.front().len, kSmallCipher) << "first application-data record";
  std::size_t large_at = 0;  // application bytes received before the first 16 KiB record
  for (const Record& r : recs) {
    if (r.received_before < (900u << 10)) {
      EXPECT_LE(r.len, kSmallCipher) << "at " << r.received_before;
    }
    if (r.len >= kFullCipher && large_at == 0) large_at = r.received_before;
  }
  EXPECT_GT(large_at, 900u << 10) << "records grow only after about 1 MiB";
  EXPECT_LT(large_at, 1200u << 10) << "records grow after about 1 MiB";

  // Idle for more than a second: the next response starts small again.
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  const std::size_t before = c.record_count();
  c.write(h1_get("/small.bin"));
  read_h1_response(c, 64 << 10);
  auto again = c.app_records(before);
  ASSERT_FALSE(again.empty());
  EXPECT_LE(again.front().len, kSmallCipher);

  auto st = nlohmann::json::parse(stats_text(server));
  EXPECT_EQ(st["tls_records"]["mode"], "dynamic");
  EXPECT_GT(st["tls_records"]["small_records"].get<int>(), 700);
  EXPECT_GT(st["tls_records"]["large_records"].get<int>(), 0);
  EXPECT_EQ(st["tls_records"]["idle_restarts"], 1);
}

TEST_F(ServeRecords, FirstResponseRecordsAreSmallHttp2) {
  ServeProcess server(dir / "www", {}, dir);
  TlsClient c(server.port(), server.ca(), "h2");
  c.write(h2_request("/big.bin"));
  c.read((3 << 20) + 1000);  // frames and the body; what arrives before the records grow is what counts
  auto recs = c.app_records();
  ASSERT_GT(recs.size(), 10u);
  for (const Record& r : recs)
    if (r.received_before < (900u << 10)) {
      EXPECT_LE(r.len, kSmallCipher) << "at " << r.received_before;
    }
  bool grew = false;
  for (const Record& r : recs) grew |= r.len >= kFullCipher;
  EXPECT_TRUE(grew) << "records reach 16 KiB later in a large h2 transfer";
}

// The same client against --tls-records max sees a full-size record at once: the check above can fail.
TEST_F(ServeRecords, MaxModeSendsFullRecordsAtOnce) {
  ServeProcess server(dir / "www", {"--tls-records", "max"}, dir);
  TlsClient c(server.port(), server.ca(), "http/1.1");
  c.write(h1_get("/small.bin"));
  read_h1_response(c, 64 << 10);
  auto recs = c.app_records();
  ASSERT_FALSE(recs.empty());
  EXPECT_GE(recs.front().len, kFullCipher);
  auto st = nlohmann::json::parse(stats_text(server));
  EXPECT_EQ(st["tls_records"]["mode"], "max");
  EXPECT_EQ(st["tls_records"]["small_records"], 0);
}

TEST(ServeRecordsCli, BadModeIsAUsageError) {
  TempDir dir;
  CmdResult r = run_serve_expect_exit({"--root", dir.path(), "--tls-records", "tiny"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--tls-records"), std::string::npos) << r.output;
}

}  // namespace
