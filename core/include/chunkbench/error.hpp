#pragma once
// The one error style of chunkbench: functions throw chunkbench::Error, whose message already names
// the file, URL or byte offset at fault, and whose code lets callers decide (e.g. a missing chunk
// moves to the next store, anything else aborts). Nothing in core prints.
#include <stdexcept>
#include <string>

namespace chunkbench {

enum class Errc {
  usage,          // bad option or argument from the caller
  invalid_input,  // a file or response that does not follow its format (index, chunk frame, scenario)
  io,             // the operating system refused (open, read, write, rename)
  not_found,      // a chunk or file that is not there; the only error that moves to the next store
  corrupt,        // data that decodes but does not match its ID or size
  network,        // transport failure after retries
  interrupted,    // cancelled by a signal or a caller
};

const char* errc_name(Errc c) noexcept;

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

// "open /x/y: No such file or directory" from errno.
[[noreturn]] void throw_errno(const std::string& what, int err);
[[noreturn]] void throw_errno(const std::string& what);

}  // namespace chunkbench
