#pragma once
// upload: sends an upload tree to S3 under a prefix, in the publish order of upload_order.hpp:
// chunks (only those the bucket lacks), then artefacts, then every SHA256SUMS, then their
// signatures, each stage complete before the next starts. Every object carries its SHA-256 as user
// metadata x-amz-meta-x-kde-sha256, which vacuum later reads instead of re-hashing.
#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "chunkbench/publish/upload_order.hpp"
#include "chunkbench/s3_client.hpp"

namespace chunkbench::publish {

inline constexpr const char* kShaMetadata = "x-kde-sha256";  // sent as x-amz-meta-x-kde-sha256

struct UploadOptions {
  std::size_t batch_bytes = 256ull << 20;  // file bytes held in memory for one concurrent batch
  // Called before each stage starts (the crash-consistency test stops the process here).
  std::function<void(UploadStage stage, std::size_t objects)> on_stage;
};

struct UploadStats {
  std::uint64_t objects = 0, bytes = 0;
  std::uint64_t chunks_skipped = 0;  // already in the bucket
  std::array<std::uint64_t, 4> per_stage{};
  double seconds = 0;
};

// `prefix` is bucket-relative ("" or ending in '/'), usually the endpoint's prefix.
UploadStats upload_tree(const std::string& tree, s3::Client& client, const std::string& prefix, const UploadOptions& options);

}  // namespace chunkbench::publish
