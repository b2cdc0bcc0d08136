#include "chunkbench/s3_xml.hpp"

#include <expat.h>

#include <charconv>
#include <cstdio>
#include <functional>
#include <ctime>
#include <memory>

#include "chunkbench/error.hpp"

namespace chunkbench::s3 {
namespace {

// Collects the text of every element together with the path of element names leading to it.
struct Collector {
  std::vector<std::string> path;
  std::string text;
  std::function<void(const std::vector<std::string>&, const std::string&)> on_end;
  std::function<void(const std::vector<std::string>&)> on_start;
};

void XMLCALL start_el(void* ud, const XML_Char* name, const XML_Char**) {
  auto* c = static_cast<Collector*>(ud);
  c->path.emplace_back(name);
  c->text.clear();
  if (c->on_start) c->on_start(c->path);
}

void XMLCALL end_el(void* ud, const XML_Char*) {
  auto* c = static_cast<Collector*>(ud);
  c->on_end(c->path, c->text);
  c->path.pop_back();
  c->text.clear();
}

void XMLCALL chars(void* ud, const XML_Char* s, int len) { static_cast<Collector*>(ud)->text.append(s, static_cast<std::size_t>(len)); }

// Parses `xml` through `c`; false (with `error` set) when expat rejects it.
bool run_expat(std::string_view xml, Collector& c, std::string& error) {
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> p(XML_ParserCreate("UTF-8"), XML_ParserFree);
  if (!p) throw Error(Errc::io, "cannot create an XML parser");
  XML_SetUserData(p.get(), &c);
  XML_SetElementHandler(p.get(), start_el, end_el);
  XML_SetCharacterDataHandler(p.get(), chars);
  if (XML_Parse(p.get(), xml.data(), static_cast<int>(xml.size()), 1) == XML_STATUS_OK) return true;
  error = std::string(XML_ErrorString(XML_GetErrorCode(p.get()))) + " at line " +
          std::to_string(XML_GetCurrentLineNumber(p.get()));
  return false;
}

std::uint64_t to_u64(const std::string& s, const std::string& where) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    throw Error(Errc::invalid_input, where + ": listing has a bad Size '" + s + "'");
  return v;
}

}  // namespace

std::int64_t parse_iso8601(std::string_view t, const std::string& where) {
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  const std::string str(t);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6 || str.back() != 'Z')
    throw Error(Errc::invalid_input, where + ": bad timestamp '" + str + "'");
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<std::int64_t>(timegm(&tm));
}

ListPage parse_list_page(std::string_view xml, const std::string& where) {
  ListPage page;
  Collector c;
  bool root_ok = false;
  c.on_start = [&](const std::vector<std::string>& path) {
    if (path.size() == 1) root_ok = path[0] == "ListBucketResult";
    if (path.size() == 2 && path[1] == "Contents") page.objects.emplace_back();
  };
  c.on_end = [&](const std::vector<std::string>& path, const std::string& text) {
    if (path.size() == 2 && path[1] == "IsTruncated") page.truncated = text == "true";
    if (path.size() == 2 && path[1] == "NextContinuationToken") page.next_continuation_token = text;
    if (path.size() == 3 && path[1] == "CommonPrefixes" && path[2] == "Prefix") page.common_prefixes.push_back(text);
    if (path.size() != 3 || path[1] != "Contents") return;
    auto& o = page.objects.back();
    if (path[2] == "Key") o.key = text;
    else if (path[2] == "Size") o.size = to_u64(text, where);
    else if (path[2] == "LastModified") o.last_modified = parse_iso8601(text, where);
    else if (path[2] == "ETag") o.etag = text;
  };
  std::string error;
  if (!run_expat(xml, c, error)) throw Error(Errc::invalid_input, where + ": listing is not well-formed XML: " + error);
  if (!root_ok) throw Error(Errc::invalid_input, where + ": not a ListBucketResult document");
  for (const auto& o : page.objects)
    if (o.key.empty()) throw Error(Errc::invalid_input, where + ": listing has an entry without a Key");
  if (page.truncated && page.next_continuation_token.empty())
    throw Error(Errc::invalid_input, where + ": truncated listing without a NextContinuationToken");
  return page;
}

ErrorBody parse_error_body(std::string_view xml) {
  ErrorBody e;
  Collector c;
  c.on_end = [&](const std::vector<std::string>& path, const std::string& text) {
    if (path.size() != 2 || path[0] != "Error") return;
    if (path[1] == "Code") e.code = text;
    if (path[1] == "Message") e.message = text;
  };
  std::string error;
  if (!run_expat(xml, c, error)) return {};
  return e;
}

}  // namespace chunkbench::s3
