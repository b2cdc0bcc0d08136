#pragma once
// A small, strict option parser shared by every subcommand: long options with desync-style short
// aliases, repeatable options, generated --help. Unknown options are errors, never ignored.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chunkbench::cli {

class Args {
 public:
  Args(std::string command, std::string synopsis, std::string description);

  Args& flag(const std::string& name, char short_name, const std::string& help);
  Args& option(const std::string& name, char short_name, const std::string& metavar, const std::string& help,
               bool repeatable = false);

  // Parses argv[first..]; returns false when --help was asked for (help already printed to stdout).
  bool parse(int argc, char** argv, int first = 2);

  bool has(const std::string& name) const;
  std::string get(const std::string& name, const std::string& fallback = "") const;
  std::optional<std::string> maybe(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  long long get_int(const std::string& name, long long fallback, long long min, long long max) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // Throws a usage error unless exactly `n` positionals (named in the message) were given.
  void expect_positionals(const std::vector<std::string>& names) const;
  std::string help() const;
  const std::string& command() const { return command_; }

 private:
  struct Spec {
    std::string name;
    char short_name;
    std::string metavar;  // empty for a flag
    std::string help;
    bool repeatable;
  };
  const Spec* find_long(const std::string& name) const;
  const Spec* find_short(char c) const;

  std::string command_, synopsis_, description_;
  std::vector<Spec> specs_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
};

}  // namespace chunkbench::cli
