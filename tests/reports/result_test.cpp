// The result schema: a round trip keeps every field (also unknown ones), and bad files are refused
// with errors that name the file and the field.
#include "chunkbench/reports/result.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "chunkbench/error.hpp"

namespace fs = std::filesystem;
using chunkbench::Errc;
using chunkbench::Error;
using namespace chunkbench::reports;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("cb-result-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

Result sample() {
  Result r;
  r.matrix = "quick";
  r.cell_id = "update-64k-h2-n32-c0-store-seed-both-chunkbench";
  r.repetition = 2;
  r.cell = {"chunkbench", "update", "32:64:128", "2", 32, 0, 0, "store", "seed-both", nlohmann::json::object()};
  r.wall_seconds = 12.5;
  r.wire_bytes = 5'000'000'000ULL;  // above 32 bits
  r.payload_bytes = 4'900'000'000ULL;
  r.requests = 1234;
  r.connections_opened = 4;
  r.protocol_negotiated = "h2";
  r.client_cpu_seconds = 1.25;
  r.client_peak_rss_bytes = 123456;
  r.rtt_seconds = 1.0;
  r.rate_bytes_per_second = 6'250'000;
  r.rate_source = "scenario";
  compute_efficiency(r);
  r.server = {{"schema", "chunkbench.server.stats/1"}, {"requests", 1234}};
  r.link = {{"dropped", 3}};
  r.metadata.kernel = "6.1.0";
  r.metadata.sysctls = {{"net.ipv4.tcp_congestion_control", "bbr"}};
  r.metadata.versions = {{"chunkbench", "0.1.0"}, {"curl", "7.88.1"}};
  r.metadata.cpu_count = 2;
  r.metadata.started_at = "2026-12-03T17:00:00Z";
  r.metadata.ab_side = "new";
  return r;
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// The message of the error reading `file`, or "" when it reads fine.
std::string read_error(const fs::path& file) {
  try {
    read_result_file(file);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_input) << e.what();
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Result, EfficiencyIsTheLimitOverTheWallTime) {
  Result r = sample();
  EXPECT_DOUBLE_EQ(r.t_limit_seconds, 5e9 / 6.25e6 + 3.0);
  EXPECT_DOUBLE_EQ(r.efficiency, r.t_limit_seconds / 12.5);
  r.rate_bytes_per_second = 0;
  compute_efficiency(r);
  EXPECT_EQ(r.efficiency, 0);
}

TEST(Result, RoundTripKeepsEveryFieldAndUnknownOnes) {
  TempDir tmp;
  Result r = sample();
  r.extra = {{"future_field", {1, 2, 3}}};
  r.cell.extra = {{"tls", "1.3"}};
  r.metadata.extra = {{"kernel_cmdline", "quiet"}};
  const auto path = write_result(tmp.path, r);
  // An A/B side is part of the name, so both builds' results share one folder.
  EXPECT_EQ(path, tmp.path / "results" / "update-64k-h2-n32-c0-store-seed-both-chunkbench.r2.new.json");
  // Nothing but the final file: the temporary name is gone.
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path / "results"), fs::directory_iterator{}), 1);
  const Result back = read_result_file(path);
  EXPECT_EQ(back, r);
  const auto all = read_results({tmp.path});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], r);
  EXPECT_EQ(nlohmann::json(back)["future_field"], nlohmann::json({1, 2, 3}));
  EXPECT_EQ(nlohmann::json(back)["schema"], "chunkbench.bench.result/1");
}

TEST(Result, FileNameIsCellAndRepetition) {
  Result r = sample();
  r.metadata.ab_side = "";
  EXPECT_EQ(result_file_name(r), "update-64k-h2-n32-c0-store-seed-both-chunkbench.r2.json");
  r.metadata.ab_side = "base";
  EXPECT_EQ(result_file_name(r), "update-64k-h2-n32-c0-store-seed-both-chunkbench.r2.base.json");
}

TEST(Result, MinorSchemaVersionsAreRead) {
  TempDir tmp;
  auto j = nlohmann::json(sample());
  j["schema"] = "chunkbench.bench.result/1.3";
  write_text(tmp.path / "a.json", j.dump());
  EXPECT_EQ(read_error(tmp.path / "a.json"), "");
}

TEST(Result, BadFilesNameTheFileAndTheField) {
  TempDir tmp;
  const auto file = tmp.path / "results" / "x.r0.json";
  auto expect_error = [&](const nlohmann::json& j, const std::string& field) {
    write_text(file, j.dump());
    const auto msg = read_error(file);
    EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(field), std::string::npos) << msg;
  };
  const nlohmann::json good = sample();
  auto j = good;
  j["schema"] = "chunkbench.bench.result/2";
  expect_error(j, "unsupported version");
  j = good;
  j.erase("schema");
  expect_error(j, "schema");
  j = good;
  j["cell"]["in_flight"] = "many";
  expect_error(j, "cell.in_flight");
  j = good;
  j["cell"]["protocol"] = "3";
  expect_error(j, "cell.protocol");
  j = good;
  j["status"] = "fine";
  expect_error(j, "status");
  j = good;
  j["cell_id"] = "../escape";
  expect_error(j, "cell_id");
  j = good;
  j.erase("wall_seconds");
  expect_error(j, "wall_seconds");
  j = good;
  j["metadata"]["sysctls"] = {{"net.core.rmem_max", 5}};
  expect_error(j, "metadata.sysctls.net.core.rmem_max");

  write_text(file, "{\"schema\": ");
  const auto msg = read_error(file);
  EXPECT_NE(msg.find(file.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("not valid JSON"), std::string::npos) << msg;
}

TEST(Result, ReadResultsSkipsTemporariesAndSortsByCell) {
  TempDir tmp;
  Result a = sample(), b = sample();
  a.cell_id = "b-cell";
  b.cell_id = "a-cell";
  write_result(tmp.path, a);
  write_result(tmp.path, b);
  write_text(tmp.path / "results" / ".b-cell.r2.json.tmp123", "{half");
  write_text(tmp.path / "results" / "notes.txt", "not a result");
  const auto all = read_results({tmp.path});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].cell_id, "a-cell");
  EXPECT_EQ(all[1].cell_id, "b-cell");
  // A results folder or a single file are inputs too; a missing one is named.
  EXPECT_EQ(read_results({tmp.path / "results"}).size(), 2u);
  EXPECT_EQ(read_results({tmp.path / "results" / "a-cell.r2.new.json"}).size(), 1u);
  try {
    read_results({tmp.path / "nope"});
    FAIL() << "missing input accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((tmp.path / "nope").string()), std::string::npos);
  }
}

TEST(Result, WriteRefusesUnsafeCellIds) {
  TempDir tmp;
  Result r = sample();
  r.cell_id = "a/b";
  EXPECT_THROW(write_result(tmp.path, r), Error);
  r.cell_id = ".hidden";
  EXPECT_THROW(write_result(tmp.path, r), Error);
}
