#include "args.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "chunkbench/error.hpp"

namespace chunkbench::cli {

Args::Args(std::string command, std::string synopsis, std::string description)
    : command_(std::move(command)), synopsis_(std::move(synopsis)), description_(std::move(description)) {
  flag("help", 'h', "show this help");
}

Args& Args::flag(const std::string& name, char short_name, const std::string& help) {
  specs_.push_back({name, short_name, "", help, true});
  return *this;
}

Args& Args::option(const std::string& name, char short_name, const std::string& metavar, const std::string& help,
                   bool repeatable) {
  specs_.push_back({name, short_name, metavar, help, repeatable});
  return *this;
}

const Args::Spec* Args::find_long(const std::string& name) const {
  for (const auto& s : specs_)
    if (s.name == name) return &s;
  return nullptr;
}

const Args::Spec* Args::find_short(char c) const {
  for (const auto& s : specs_)
    if (c != 0 && s.short_name == c) return &s;
  return nullptr;
}

bool Args::parse(int argc, char** argv, int first) {
  auto usage_error = [&](const std::string& msg) {
    throw Error(Errc::usage, command_ + ": " + msg + " (see 'chunkbench " + command_ + " --help')");
  };
  auto store = [&](const Spec* s, const std::string& value) {
    auto& v = values_[s->name];
    if (!s->repeatable && !v.empty()) usage_error("--" + s->name + " given more than once");
    v.push_back(value);
  };
  bool only_positionals = false;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (only_positionals || a.size() < 2 || a[0] != '-') {
      positionals_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positionals = true;
      continue;
    }
    const Spec* s = nullptr;
    std::optional<std::string> inline_value;
    if (a.rfind("--", 0) == 0) {
      std::string name = a.substr(2);
      auto eq = name.find('=');
      if (eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      s = find_long(name);
      if (!s) usage_error("unknown option --" + name);
    } else {
      s = find_short(a[1]);
      if (!s) usage_error(std::string("unknown option -") + a[1]);
      if (a.size() > 2) {
        if (s->metavar.empty()) usage_error("flag -" + std::string(1, a[1]) + " takes no value");
        inline_value = a.substr(2);
      }
    }
    if (s->metavar.empty()) {
      if (inline_value) usage_error("flag --" + s->name + " takes no value");
      store(s, "1");
    } else if (inline_value) {
      store(s, *inline_value);
    } else {
      if (i + 1 >= argc) usage_error("option --" + s->name + " needs a value (" + s->metavar + ")");
      store(s, argv[++i]);
    }
  }
  if (has("help")) {
    std::fputs(help().c_str(), stdout);
    return false;
  }
  return true;
}

bool Args::has(const std::string& name) const { return values_.count(name) > 0; }

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second.back();
}

std::optional<std::string> Args::maybe(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> Args::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

long long Args::get_int(const std::string& name, long long fallback, long long min, long long max) const {
  auto v = maybe(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != 0 || errno != 0 || n < min || n > max)
    throw Error(Errc::usage, command_ + ": --" + name + " must be an integer in [" + std::to_string(min) + ", " +
                                 std::to_string(max) + "], got '" + *v + "'");
  return n;
}

void Args::expect_positionals(const std::vector<std::string>& names) const {
  if (positionals_.size() == names.size()) return;
  std::string want;
  for (const auto& n : names) want += " " + n;
  throw Error(Errc::usage, command_ + ": expected" + want + " (got " + std::to_string(positionals_.size()) +
                               " arguments; see 'chunkbench " + command_ + " --help')");
}

std::string Args::help() const {
  std::ostringstream o;
  o << "usage: chunkbench " << command_ << " " << synopsis_ << "\n\n" << description_ << "\n\noptions:\n";
  for (const auto& s : specs_) {
    std::string left = "  ";
    left += s.short_name ? std::string("-") + s.short_name + ", " : "    ";
    left += "--" + s.name;
    if (!s.metavar.empty()) left += " " + s.metavar;
    if (left.size() < 30) left.resize(30, ' ');
    else left += "\n" + std::string(30, ' ');
    o << left << s.help << (s.repeatable && !s.metavar.empty() ? " (repeatable)" : "") << "\n";
  }
  return o.str();
}

}  // namespace chunkbench::cli
