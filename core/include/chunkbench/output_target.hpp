#pragma once
// What an output path is before anything is written to it: the checks that keep make and extract
// from destroying their own inputs or a special file. Both run before the first byte is fetched
// or written, so a refused run has changed nothing.
#include <string>
#include <utility>
#include <vector>

namespace chunkbench {

enum class OutputKind {
  absent,        // nothing there yet: written under a temporary name, then renamed
  regular,       // an existing file: replaced by rename (or rewritten in place when asked)
  block_device,  // written through in place; a rename would replace the device node
};

// Classifies `path` (following symlinks); throws Errc::usage naming it for a directory, a
// character device (e.g. /dev/null), a FIFO or a socket.
OutputKind output_kind(const std::string& path);

// An input of the run and what it is to the user ("index", "seed image", ...), for messages.
struct NamedInput {
  std::string role;
  std::string path;
};

// Throws Errc::usage when `output` is the same file (device and inode: a hard link, "./x" or a
// symlink counts) as any input that exists; inputs or an output that do not exist are skipped.
void refuse_output_is_input(const std::string& output, const std::vector<NamedInput>& inputs);

}  // namespace chunkbench
