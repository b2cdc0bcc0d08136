#pragma once
// The one place that knows the publish order (kde-linux-pipeline.md §6, invariant since cfc528f):
// chunks, then artefacts, then SHA256SUMS, then its signature. A stage starts only when every
// object of the previous one is in place, so no client ever sees a manifest whose files or chunks
// are missing, nor a signature over a manifest that is not there yet. Uploads, promotions and the
// crash-consistency test all take their order from here.
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace chunkbench::publish {

enum class UploadStage { chunks = 0, artefacts = 1, manifest = 2, signature = 3 };
inline constexpr std::array<UploadStage, 4> kUploadStages = {UploadStage::chunks, UploadStage::artefacts,
                                                             UploadStage::manifest, UploadStage::signature};
const char* upload_stage_name(UploadStage s) noexcept;

// The stage of an object key (or a path relative to the upload tree): chunk files (*.cacnk, or
// anything under a `store/` directory) first, SHA256SUMS next to last, its signatures
// (SHA256SUMS.gpg, .asc, .sha256.gpg, .sha256.asc) last, everything else in between.
UploadStage upload_stage(std::string_view key);

// `keys` split into the four stages in order; each stage sorted, so runs are reproducible.
std::array<std::vector<std::string>, 4> order_uploads(std::vector<std::string> keys);

}  // namespace chunkbench::publish
