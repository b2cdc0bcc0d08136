#pragma once
// Formatting shared by the reports' outputs (internal).
#include <string>

namespace chunkbench::reports::text {

// &, <, >, " and ' as entities: safe in XML/HTML text and attribute values.
std::string xml_escape(const std::string& s);
// "1.23 s", "850 ms": three significant digits.
std::string seconds(double s);
// "123 MB" (decimal units, like link rates).
std::string bytes(double b);
// printf into a std::string.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace chunkbench::reports::text
