#pragma once
#include <openssl/ssl.h>

namespace chunkbench::server {

class Connection;
// The SSL reads from the socket and writes its records into conn->sink() (see tls_sink.cpp).
void attach_tls_bios(SSL* ssl, int fd, Connection* conn);

}  // namespace chunkbench::server
