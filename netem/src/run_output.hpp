#pragma once
// The two output channels of a run (internal to run.cpp): where the server writes, and what the
// client hands back.
#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "chunkbench/fd.hpp"

namespace chunkbench::netem {

// The server's stdout and stderr: a log file, a pipe read line by line by a helper thread, or our
// stderr. Never our stdout, which belongs to the client.
class ServerOutput {
 public:
  ServerOutput(const std::string& log_file, std::function<void(const std::string&)> on_line);
  ServerOutput(const ServerOutput&) = delete;
  ServerOutput& operator=(const ServerOutput&) = delete;
  ~ServerOutput();

  // The descriptor to give the server as stdout and stderr.
  int fd() const;
  // Once the server has its copy: only the server's side keeps the pipe open.
  void release_write_end();
  // Delivers what is left (a last line without newline included) and stops the reader.
  void finish();

 private:
  void pump();
  void deliver(const char* p, std::size_t n);

  Fd file_, read_, write_;
  std::function<void(const std::string&)> on_line_;
  std::string partial_;
  std::atomic<bool> stop_{false};
  std::thread reader_;
};

// What the client sends back through a pipe: a captured command's stdout, or a client function's
// framed result ('R' + value, or 'E' + error message). Drained while the client runs, so a large
// result never blocks the child.
class ClientChannel {
 public:
  ClientChannel();
  int write_fd() const { return write_.get(); }
  int read_fd() const { return read_.get(); }
  void release_write_end() { write_.reset(); }
  void drain();
  const std::string& data() const { return data_; }

 private:
  Fd read_, write_;
  std::string data_;
};

// In the client function's child: sends the framed result; false if the pipe refused it.
bool send_framed(int fd, char kind, const std::string& payload);

}  // namespace chunkbench::netem
