#pragma once
// The embedded chunk-store server: one TLS port, ALPN picks h2 or http/1.1, both protocols in front of
// the same file-serving code so that a protocol comparison measures the protocol and not two servers.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace chunkbench::server {

// Faults for tests and benchmarks; everything off by default. Probabilities are per response and drawn
// from a generator seeded with `seed` (per event loop), so a run with --threads 1 is reproducible.
struct FaultOptions {
  std::string fail_path_substring;  // non-empty: only matching paths can get a 5xx
  double fail_rate = 0;             // probability of a 503 (1.0 when only a substring is given)
  double reset_rate = 0;            // abort half-way through the body (h2 RST_STREAM, h1 TCP RST)
  double stall_rate = 0;            // stop sending half-way through the body, keep the connection open
  double corrupt_rate = 0;          // flip one body byte, length unchanged
  std::uint64_t slow_body_bps = 0;  // pace every body at this many bytes per second
  std::uint32_t response_delay_ms = 0;  // hold every response back this long before its headers
  std::uint64_t seed = 1;
};

// Dynamic TLS record sizing. A new (or idle) connection starts with a congestion window of about ten
// segments, and a client can decrypt nothing of a record before all of it arrived: a 16 KiB record
// spread over 12 segments holds the first response back a round trip. So a connection writes records
// that each fit one segment until `boost_after` bytes went out, then full 16 KiB records (fewer
// records, less per-record CPU and overhead once the window is open); after `idle_reset_ms` without a
// write (when TCP restarts slow start) it starts small again.
struct TlsRecordOptions {
  bool dynamic = true;                     // false: records as large as TLS allows (16 KiB) from the start
  std::size_t small_record = 1360;         // plaintext per small record: <= 1400 bytes on the wire (TLS 1.2/1.3 AEAD)
  std::uint64_t boost_after = 1 << 20;     // plaintext bytes written before records grow to 16 KiB
  std::uint32_t idle_reset_ms = 1000;      // no write for this long: small records again
};

struct Options {
  std::string root;                      // directory served
  std::string listen = "127.0.0.1:0";    // ADDR:PORT, IPv4 or [IPv6]
  std::string cert_file, key_file;       // both or neither; neither => a generated CA + server cert
  std::string ca_out;                    // where a freshly generated CA is written (PEM)
  // Without cert/key and ca_out: a per-user CA kept in this directory (ca.pem, ca-key.pem, mode 0600,
  // directory 0700 and owned by the user) and reused by every later run, so clients trust one file and
  // no run leaves a CA behind. Empty with neither: the CA only lives in memory.
  std::string ca_dir;
  std::vector<std::string> protocols{"h2", "http/1.1"};  // ALPN offer, in preference order
  unsigned threads = 1;                  // event loops, each with its own SO_REUSEPORT socket
  std::uint32_t max_concurrent_streams = 256;
  std::uint32_t h2_window = 0;             // SETTINGS_INITIAL_WINDOW_SIZE; 0 = protocol default
  std::uint32_t h2_connection_window = 0;  // connection receive window; 0 = protocol default
  bool no_rfc7540_priorities = false;      // send SETTINGS_NO_RFC7540_PRIORITIES=1 (RFC 9218 scheduling)
  int sndbuf = 0;                          // SO_SNDBUF per accepted socket; 0 = kernel autotuning
  int notsent_lowat = 0;                   // TCP_NOTSENT_LOWAT; 0 = unset
  std::string congestion;                  // TCP_CONGESTION per accepted socket; empty = system default
  TlsRecordOptions tls_records;
  FaultOptions faults;
};

class Server {
 public:
  // Validates the options, loads or generates the certificate and binds the sockets; throws Error.
  explicit Server(Options options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  std::string url() const;               // https://ADDR:PORT/
  const std::string& ca_file() const;    // the CA clients need (ca_out or ca_dir/ca.pem); empty with --cert
  // From now on SIGINT/SIGTERM stop the server instead of killing the process. Call it before telling
  // anyone the server is there (port file), so that a signal sent right after that is never fatal.
  void catch_signals();
  // Serves until SIGINT/SIGTERM (when `handle_signals`, which implies catch_signals()) or stop();
  // returns after every loop closed.
  void run(bool handle_signals = true);
  // Thread-safe and async-signal-safe.
  void stop();
  // Live counters as JSON text (the same document as GET /.well-known/chunkbench-stats).
  std::string stats_json() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace chunkbench::server
