#pragma once
// Helpers every subcommand shares: store opening from -s locators, human-readable figures, and
// progress lines on a terminal.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "args.hpp"
#include "chunkbench/store.hpp"

namespace chunkbench::cli {

// Options that describe how to reach stores; added to an Args by add_store_options.
void add_store_options(Args& args, bool many);
// One store per -s, in order; several are wrapped in a RouterStore (missing -> next store).
std::shared_ptr<Store> open_read_stores(const Args& args);
std::shared_ptr<WriteStore> open_write_store(const Args& args);

unsigned threads_option(const Args& args);
std::string human_bytes(std::uint64_t n);
std::string human_rate(double bytes, double seconds);
bool stderr_is_tty();
// Overwrites one status line on stderr when it is a terminal; a no-op otherwise.
void status_line(const std::string& text);
void end_status_line();

}  // namespace chunkbench::cli
