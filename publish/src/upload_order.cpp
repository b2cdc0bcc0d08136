#include "chunkbench/publish/upload_order.hpp"

#include <algorithm>

namespace chunkbench::publish {

const char* upload_stage_name(UploadStage s) noexcept {
  switch (s) {
    case UploadStage::chunks: return "chunks";
    case UploadStage::artefacts: return "artefacts";
    case UploadStage::manifest: return "manifest";
    case UploadStage::signature: return "signature";
  }
  return "?";
}

UploadStage upload_stage(std::string_view key) {
  const auto slash = key.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? key : key.substr(slash + 1);
  const std::string_view dir = slash == std::string_view::npos ? std::string_view() : key.substr(0, slash + 1);
  if (base == "SHA256SUMS") return UploadStage::manifest;
  if (base == "SHA256SUMS.gpg" || base == "SHA256SUMS.asc" || base == "SHA256SUMS.sha256.gpg" ||
      base == "SHA256SUMS.sha256.asc")
    return UploadStage::signature;
  const bool in_store = dir.rfind("store/", 0) == 0 || dir.find("/store/") != std::string_view::npos;
  if (in_store || (base.size() > 6 && base.substr(base.size() - 6) == ".cacnk")) return UploadStage::chunks;
  return UploadStage::artefacts;
}

std::array<std::vector<std::string>, 4> order_uploads(std::vector<std::string> keys) {
  std::array<std::vector<std::string>, 4> out;
  for (auto& k : keys) out[static_cast<std::size_t>(upload_stage(k))].push_back(std::move(k));
  for (auto& stage : out) std::sort(stage.begin(), stage.end());
  return out;
}

}  // namespace chunkbench::publish
