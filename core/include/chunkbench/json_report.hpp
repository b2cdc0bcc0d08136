#pragma once
// The JSON documents chunkbench writes, one function per document, built from the result structs
// with nlohmann-json inside core (so callers need no JSON library). Every document starts with
// "schema": "chunkbench.<what>/<major>"; a reader rejects a major version it does not know and
// ignores fields it does not know. 64-bit values JSON numbers cannot hold exactly (index flags)
// are written as decimal strings.
#include <string>

#include "chunkbench/extract.hpp"
#include "chunkbench/info.hpp"
#include "chunkbench/make.hpp"
#include "chunkbench/verify.hpp"

namespace chunkbench {

inline constexpr const char* kExtractSchema = "chunkbench.extract/1";
inline constexpr const char* kMakeSchema = "chunkbench.make/1";
inline constexpr const char* kInfoSchema = "chunkbench.info/1";
inline constexpr const char* kCompareSchema = "chunkbench.compare/1";
inline constexpr const char* kVerifySchema = "chunkbench.verify/1";

struct MakeReport {
  std::string index, image;
  ChunkSizes sizes;
  DigestKind digest = DigestKind::sha512_256;
  MakeStats stats;
};

struct InfoReport {
  std::string index;
  const Index* table = nullptr;
  IndexInfo info;
  bool seeds = false, store = false;  // which coverage figures were asked for
};

struct CompareReport {
  std::string from, to;
  CompareInfo info;
};

struct VerifyReport {
  std::string store;
  VerifyResult result;
};

// Pretty-printed (indent 2), without a trailing newline.
std::string to_json(const ExtractReport& r);
std::string to_json(const MakeReport& r);
std::string to_json(const InfoReport& r);
std::string to_json(const CompareReport& r);
std::string to_json(const VerifyReport& r);

}  // namespace chunkbench
