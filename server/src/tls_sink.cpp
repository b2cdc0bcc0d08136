// A write-only BIO that appends TLS records to a byte vector instead of writing each record to the
// socket. OpenSSL emits one write per record (16 KiB); collecting them lets the connection hand a whole
// batch (up to 256 KiB of plaintext) to the kernel in one send(), which saves syscalls here and lets
// the client read everything after a single wakeup. The BIO never blocks, so SSL_write never returns
// WANT_WRITE: back-pressure is handled on the send() side.
#include <openssl/bio.h>

#include "chunkbench/error.hpp"
#include "connection.hpp"
#include "tls_sink.hpp"

namespace chunkbench::server {
namespace {

int sink_write(BIO* b, const char* data, int len) {
  auto* conn = static_cast<Connection*>(BIO_get_data(b));
  if (len <= 0) return 0;
  auto* p = reinterpret_cast<const std::uint8_t*>(data);
  conn->sink()->insert(conn->sink()->end(), p, p + len);
  return len;
}

long sink_ctrl(BIO*, int cmd, long, void*) {
  // FLUSH is the only control SSL relies on for a write BIO; the rest are "not supported" (0).
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int sink_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

int sink_destroy(BIO*) { return 1; }

BIO_METHOD* sink_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "chunkbench record sink");
    if (!m || !BIO_meth_set_write(m, sink_write) || !BIO_meth_set_ctrl(m, sink_ctrl) ||
        !BIO_meth_set_create(m, sink_create) || !BIO_meth_set_destroy(m, sink_destroy))
      throw Error(Errc::io, "BIO_meth_new failed");
    return m;
  }();
  return method;
}

}  // namespace

void attach_tls_bios(SSL* ssl, int fd, Connection* conn) {
  BIO* rbio = BIO_new_socket(fd, BIO_NOCLOSE);
  BIO* wbio = BIO_new(sink_method());
  if (!rbio || !wbio) {
    BIO_free(rbio);
    BIO_free(wbio);
    throw Error(Errc::io, "BIO_new failed");
  }
  BIO_set_data(wbio, conn);
  SSL_set_bio(ssl, rbio, wbio);  // ssl owns both now
}

}  // namespace chunkbench::server
