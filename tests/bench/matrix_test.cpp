// Matrix files: every bad value is rejected with the file and the field named; presets and cell
// enumeration, ids and shards.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "chunkbench/bench/cell.hpp"
#include "chunkbench/bench/matrix.hpp"
#include "chunkbench/error.hpp"
#include "test_util.hpp"

namespace chunkbench::test {
namespace {

using bench::Matrix;

nlohmann::json minimal() {
  return nlohmann::json::parse(R"({"schema": "chunkbench.matrix/1", "name": "t", "axes": {"chunk": ["16:64:256"]}})");
}

// The message of the error `m` raises, or "" when it parses.
std::string error_of(const nlohmann::json& m) {
  try {
    bench::matrix_from_json(m, "m.json", "");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_input) << e.what();
    return e.what();
  }
  return "";
}

TEST(Matrix, MinimalGetsDefaults) {
  Matrix m = bench::matrix_from_json(minimal(), "m.json", "");
  EXPECT_EQ(m.name, "t");
  EXPECT_EQ(m.cases, std::vector<std::string>{"full"});
  EXPECT_EQ(m.protocols, std::vector<std::string>{"2"});
  EXPECT_EQ(m.scenarios, std::vector<std::string>{"none"});
  EXPECT_EQ(m.repetitions, 1);
}

TEST(Matrix, BadValuesNameTheField) {
  struct Case {
    const char* patch;  // JSON merge patch onto minimal()
    const char* message;
  } cases[] = {
      {R"({"axes": {"protocol": ["2", "3"]}})", "m.json: axes.protocol[1]: \"3\" is not one of 1.1, 2"},
      {R"({"axes": {"protocol": [2, 1.1]}})", ""},
      {R"({"axes": {"case": ["full", "delta"]}})", "m.json: axes.case[1]: \"delta\" is not one of full, update"},
      {R"({"axes": {"mode": ["store", "fast"]}})", "m.json: axes.mode[1]: \"fast\" is not one of store, range, auto"},
      {R"({"axes": {"chunk": ["64:16:256"]}})", "m.json: axes.chunk[0]"},
      {R"({"axes": {"chunk": []}})", "m.json: axes.chunk: must be a non-empty array"},
      {R"({"axes": {"chunk": null}})", "m.json: axes.chunk: is required"},
      {R"({"axes": {"in_flight": [4, -1]}})", "m.json: axes.in_flight[1]: -1 is outside 0..4096"},
      {R"({"axes": {"in_flight": [4, "many"]}})", "m.json: axes.in_flight[1]: must be an integer"},
      {R"({"axes": {"in_flight": [4, 4]}})", "m.json: axes.in_flight[1]: duplicate value 4"},
      {R"({"axes": {"scenario": ["none", "no-such-preset"]}})", "m.json: axes.scenario[1]: \"no-such-preset\" is neither"},
      {R"({"axes": {"scenario": [{"name": "x", "delay": "-5ms"}]}})", "m.json: axes.scenario[0]"},
      {R"({"axes": {"scenario": [{"delay": "5ms"}]}})", "m.json: axes.scenario[0].name: an inline scenario needs a name"},
      {R"({"axes": {"colour": ["red"]}})", "m.json: axes.colour: unknown field"},
      {R"({"repetitions": 0})", "m.json: repetitions: 0 is outside 1..1000"},
      {R"({"repetitions": "3"})", "m.json: repetitions: must be an integer"},
      {R"({"cell_timeout": "0.5s"})", "m.json: cell_timeout: must be between 1 s and 24 h"},
      {R"({"cell_timeout": "soon"})", "m.json: cell_timeout"},
      {R"({"peers": "yes"})", "m.json: peers: must be true or false"},
      {R"({"image": {"kind": "iso"}})", "m.json: image.kind: \"iso\" is not one of tar, erofs, synthetic"},
      {R"({"image": {"size": "12 parsecs"}})", "m.json: image"},
      {R"({"image": {"change": "150%"}})", "m.json: image.change"},
      {R"({"image": {"colour": 1}})", "m.json: image.colour: unknown field"},
      {R"({"schema": "chunkbench.matrix/2"})", "m.json: schema: \"chunkbench.matrix/2\" is not \"chunkbench.matrix/1\""},
      {R"({"schema": null})", "m.json: schema: is required"},
      {R"({"name": "a b"})", "m.json: name: \"a b\" must be letters"},
      {R"({"extra": 1})", "m.json: extra: unknown field"},
  };
  for (const auto& c : cases) {
    auto j = minimal();
    j.merge_patch(nlohmann::json::parse(c.patch));
    const std::string msg = error_of(j);
    if (std::string(c.message).empty()) {
      EXPECT_EQ(msg, "") << c.patch;
      continue;
    }
    EXPECT_EQ(msg.rfind(c.message, 0), 0u) << c.patch << "\n  got: " << msg;
  }
}

TEST(Matrix, FileErrorsNameTheFile) {
  TempDir tmp;
  write_file(tmp / "bad.json", {'{', 'x'});
  try {
    bench::load_matrix(tmp / "bad.json");
    FAIL() << "a file that is not JSON was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(tmp / "bad.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(bench::load_matrix(tmp / "absent.json"), Error);
}

TEST(Matrix, ScenarioFilesResolveBesideTheMatrix) {
  TempDir tmp;
  const std::string scen = R"({"name": "ignored", "delay": "10ms", "rate": "20mbit"})";
  write_file(tmp / "far.json", std::vector<std::uint8_t>(scen.begin(), scen.end()));
  auto j = minimal();
  j["axes"]["scenario"] = {"none", "far.json", "seed-both"};
  const std::string text = j.dump();
  write_file(tmp / "m.json", std::vector<std::uint8_t>(text.begin(), text.end()));
  Matrix m = bench::load_matrix(tmp / "m.json");
  EXPECT_EQ(m.scenarios, (std::vector<std::string>{"none", "far", "seed-both"}));
  EXPECT_EQ(m.scenario_defs.at("far")["down"]["delay"], nlohmann::json("10ms")) << m.scenario_defs.at("far").dump();
}

TEST(Matrix, PresetsAreValid) {
  Matrix seed = bench::preset("seed");
  EXPECT_EQ(seed.chunks, (std::vector<std::string>{"32:64:128", "1024:2048:4096"}));
  EXPECT_EQ(seed.in_flight, (std::vector<int>{1, 4, 32}));
  EXPECT_EQ(seed.scenarios, (std::vector<std::string>{"none", "seed-delay", "seed-bandwidth", "seed-both"}));
  EXPECT_EQ(seed.image.size, 128ull << 20);
  Matrix quick = bench::preset("quick");
  EXPECT_EQ(quick.protocols.size(), 2u);
  EXPECT_TRUE(quick.peers);
  EXPECT_THROW(bench::preset("slow"), Error);
  // A matrix survives its own JSON (the runner writes it beside the results).
  Matrix again = bench::matrix_from_json(quick.to_json(), "again", "");
  EXPECT_EQ(again.to_json(), quick.to_json());
}

TEST(Cells, EnumerationIdsAndPeers) {
  Matrix quick = bench::preset("quick");
  auto cells = bench::enumerate_cells(quick);
  // 2 cases x 2 chunk sizes x (2 protocols x 2 windows + casync + 2 bare transfers)
  EXPECT_EQ(cells.size(), 2u * 2 * (4 + 1 + 2));
  std::set<std::string> ids;
  for (const auto& c : cells) ids.insert(bench::cell_id(c));
  EXPECT_EQ(ids.size(), cells.size());
  EXPECT_TRUE(ids.count("update-32-64-128k-h2-n32-c0-s0-store-far-50ms-50mbit-chunkbench")) << *ids.begin();
  EXPECT_TRUE(ids.count("full-1024-2048-4096k-h1-n1-c0-s0-store-far-50ms-50mbit-casync"));
  EXPECT_TRUE(ids.count("full-1024-2048-4096k-h1-n32-c0-s0-store-far-50ms-50mbit-bare"));
  for (const auto& id : ids) EXPECT_NO_THROW(reports::check_cell_id(id)) << id;
  // Stable: the same matrix gives the same list in the same order.
  auto again = bench::enumerate_cells(bench::preset("quick"));
  ASSERT_EQ(again.size(), cells.size());
  for (std::size_t i = 0; i < cells.size(); ++i) EXPECT_EQ(bench::cell_id(again[i]), bench::cell_id(cells[i]));
  quick.peers = false;
  EXPECT_EQ(bench::enumerate_cells(quick).size(), 2u * 2 * 4);
  // Chunk sizes that are not avg/4 and 4 avg keep all three numbers in the id.
  EXPECT_EQ(bench::cell_id(cells.front()).substr(0, 20), "full-32-64-128k-h1-n");
}

TEST(Cells, ShardsPartitionTheMatrixByGroup) {
  auto cells = bench::enumerate_cells(bench::preset("seed"));
  for (int n : {1, 2, 3, 5, 16, 40}) {
    std::multiset<std::string> all;
    for (int i = 1; i <= n; ++i) {
      auto part = bench::shard_cells(cells, {i, n});
      auto again = bench::shard_cells(cells, {i, n});
      ASSERT_EQ(part.size(), again.size());
      std::set<std::string> groups;
      for (const auto& c : part) {
        all.insert(bench::cell_id(c));
        groups.insert(c.scenario + "|" + c.case_ + "|" + c.chunk);
      }
      // A group's bare transfer travels with its cells.
      for (const auto& c : cells) {
        if (!groups.count(c.scenario + "|" + c.case_ + "|" + c.chunk)) continue;
        EXPECT_TRUE(std::any_of(part.begin(), part.end(), [&](const auto& p) { return bench::cell_id(p) == bench::cell_id(c); }));
      }
    }
    EXPECT_EQ(all.size(), cells.size()) << n << " shards";
    EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), cells.size()) << "a cell in two shards";
  }
  EXPECT_THROW(bench::parse_shard("0/2"), Error);
  EXPECT_THROW(bench::parse_shard("3/2"), Error);
  EXPECT_THROW(bench::parse_shard("1-2"), Error);
  EXPECT_THROW(bench::parse_shard("1/2x"), Error);
  EXPECT_EQ(bench::parse_shard("2/4").index, 2);
}

TEST(Cells, CliRejectsABadMatrixNamingTheField) {
  TempDir tmp;
  const std::string text = R"({"schema": "chunkbench.matrix/1", "axes": {"chunk": ["64"], "protocol": ["1.1", "3"]}})";
  write_file(tmp / "m.json", std::vector<std::uint8_t>(text.begin(), text.end()));
  auto r = run(chunkbench_bin() + " bench " + (tmp / "m.json") + " --out " + (tmp / "out"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("m.json: axes.protocol[1]: \"3\" is not one of 1.1, 2"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(tmp / "out"));
  r = run(chunkbench_bin() + " bench --preset quick");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("--out"), std::string::npos) << r.out;
  r = run(chunkbench_bin() + " bench --preset quick --list --shard 2/2");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("-chunkbench\n"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace chunkbench::test
