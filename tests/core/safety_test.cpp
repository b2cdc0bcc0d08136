// What make and extract promise about the files they touch: an output that is one of the inputs
// is refused with the input intact, special files are refused before anything is fetched, and a
// block device is written through in place and read back, never replaced by a rename.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "chunkbench/error.hpp"
#include "chunkbench/extract.hpp"
#include "chunkbench/imagegen.hpp"
#include "chunkbench/local_store.hpp"
#include "chunkbench/make.hpp"
#include "test_util.hpp"

using namespace chunkbench;
namespace fs = std::filesystem;

namespace {

class Safety : public testing::Test {
 protected:
  void SetUp() override {
    imagegen::SyntheticOptions o;
    o.bytes = 2ull << 20;
    o.seed = 11;
    imagegen::make_synthetic(o, v1);
    imagegen::mutate_synthetic(v1, v2, 0.05, 12);
    mo.sizes = parse_chunk_sizes("16:64:256");
    mo.threads = 2;
    LocalStore store(dir / "store");
    make_index_file(v1, v1 + ".caibx", &store, mo);
    make_index_file(v2, index, &store, mo);
  }
  ExtractRequest request(const std::string& output) {
    ExtractRequest r;
    r.index_path = index;
    r.output = output;
    r.stores = {dir / "store"};
    r.threads = 2;
    return r;
  }
  // Runs the extract and returns the error code it was refused with (nullopt: it ran).
  static std::optional<Errc> refused(const ExtractRequest& r, std::string* message = nullptr) {
    try {
      extract(r);
    } catch (const Error& e) {
      if (message) *message = e.what();
      return e.code();
    }
    return std::nullopt;
  }
  std::size_t files_in(const std::string& d) {
    std::size_t n = 0;
    for (auto& e : fs::directory_iterator(d)) n += e.is_regular_file();
    return n;
  }
  test::TempDir dir;
  std::string v1 = dir / "v1.img", v2 = dir / "v2.img", index = dir / "v2.caibx";
  MakeOptions mo;
};

TEST_F(Safety, MakeRefusesIndexOverItsImage) {
  const auto image = test::read_file(v2);
  fs::create_hard_link(v2, dir / "v2.link");
  for (const std::string& out : {v2, dir.path() + "/./v2.img", dir / "v2.link"}) {
    try {
      make_index_file(v2, out, nullptr, mo);
      ADD_FAILURE() << "make wrote its index over the image " << out;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::usage);
      EXPECT_NE(std::string(e.what()).find(v2), std::string::npos) << e.what();
    }
    EXPECT_EQ(test::read_file(v2), image) << "the image changed for output " << out;
  }
}

TEST_F(Safety, ExtractRefusesOutputThatIsItsIndex) {
  const auto bytes = test::read_file(index);
  for (bool in_place : {false, true}) {
    for (const std::string& out : {index, dir.path() + "/./v2.caibx"}) {
      auto r = request(out);
      r.in_place = in_place;
      EXPECT_EQ(refused(r), Errc::usage) << out << (in_place ? " -k" : "");
      EXPECT_EQ(test::read_file(index), bytes) << "the index changed";
    }
  }
  EXPECT_EQ(files_in(dir.path()), 4u) << "a temporary file was left behind";
}

TEST_F(Safety, ExtractRefusesOutputThatIsASeedOrItsIndex) {
  const auto image = test::read_file(v1), table = test::read_file(v1 + ".caibx");
  for (bool in_place : {false, true}) {
    auto r = request(v1);
    r.seeds = {v1};
    r.in_place = in_place;
    EXPECT_EQ(refused(r), Errc::usage);
    r = request(v1 + ".caibx");
    r.seeds = {v1 + ".caibx"};
    r.in_place = in_place;
    EXPECT_EQ(refused(r), Errc::usage);
    r = request(v1);
    r.seed_dirs = {dir.path()};
    r.in_place = in_place;
    EXPECT_EQ(refused(r), Errc::usage);
  }
  EXPECT_EQ(test::read_file(v1), image);
  EXPECT_EQ(test::read_file(v1 + ".caibx"), table);
}

TEST_F(Safety, ExtractRefusesADirectoryBeforeFetching) {
  fs::create_directory(dir / "out");
  auto r = request(dir / "out");
  // Nothing listens there: a run that tried to fetch would fail with a network error instead.
  r.stores = {"http://127.0.0.1:" + std::to_string(test::free_port()) + "/store/"};
  std::string message;
  EXPECT_EQ(refused(r, &message), Errc::usage);
  EXPECT_NE(message.find("directory"), std::string::npos) << message;
  EXPECT_TRUE(fs::is_directory(dir / "out"));
  EXPECT_EQ(files_in(dir.path()), 4u) << "a temporary file was left behind";
}

TEST_F(Safety, ExtractRefusesFifoAndCharacterDevice) {
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  std::string message;
  EXPECT_EQ(refused(request(dir / "fifo"), &message), Errc::usage);
  EXPECT_NE(message.find("FIFO"), std::string::npos) << message;
  EXPECT_TRUE(fs::is_fifo(dir / "fifo"));
  for (bool in_place : {false, true}) {
    auto r = request("/dev/null");
    r.in_place = in_place;
    EXPECT_EQ(refused(r, &message), Errc::usage);
    EXPECT_NE(message.find("/dev/null"), std::string::npos) << message;
    EXPECT_TRUE(fs::is_character_file("/dev/null")) << "/dev/null was replaced";
  }
}

// A loop device over a scratch file, detached even when the test fails.
class LoopDevice {
 public:
  explicit LoopDevice(const std::string& backing) {
    auto r = test::run("losetup -f --show " + backing);
    // The output may carry warnings too; the device is the line that names one.
    const auto at = r.out.find("/dev/");
    if (r.status == 0 && at != std::string::npos) path_ = r.out.substr(at, r.out.find('\n', at) - at);
  }
  ~LoopDevice() {
    if (!path_.empty()) test::run("losetup -d " + path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_F(Safety, ExtractWritesThroughABlockDevice) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to attach a loop device";
  if (!test::have_program("losetup")) GTEST_SKIP() << "losetup (util-linux) is not installed";
  const auto image = test::read_file(v2);
  // Bigger than the image and filled with garbage: the tail must stay, the head must become v2.
  auto backing = test::random_data((image.size() + 511) / 512 * 512 + (1u << 20), 99);
  test::write_file(dir / "backing", backing);
  LoopDevice loop(dir / "backing");
  if (loop.path().empty()) GTEST_SKIP() << "no loop device could be attached (no /dev/loop-control?)";
  ASSERT_TRUE(fs::is_block_file(loop.path())) << loop.path();
  for (bool in_place : {false, true}) {
    test::write_file(loop.path(), backing);  // garbage again, through the device
    auto r = request(loop.path());
    r.in_place = in_place;
    auto rep = extract(r);
    EXPECT_EQ(rep.stats.bytes_total, image.size());
    EXPECT_TRUE(fs::is_block_file(loop.path())) << "the device node was replaced";
    auto now = test::read_file(dir / "backing");
    ASSERT_EQ(now.size(), backing.size());
    EXPECT_TRUE(std::equal(image.begin(), image.end(), now.begin())) << "the device does not hold the image";
    EXPECT_TRUE(std::equal(backing.begin() + static_cast<std::ptrdiff_t>(image.size()), backing.end(),
                           now.begin() + static_cast<std::ptrdiff_t>(image.size())))
        << "bytes past the image changed";
    const std::string node = fs::path(loop.path()).filename().string();
    for (auto& e : fs::directory_iterator("/dev"))
      EXPECT_NE(e.path().filename().string().rfind("." + node + ".", 0), 0u) << "temporary file " << e.path();
  }
}

TEST_F(Safety, ExtractRefusesABlockDeviceTooSmall) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to attach a loop device";
  if (!test::have_program("losetup")) GTEST_SKIP() << "losetup (util-linux) is not installed";
  test::write_file(dir / "backing", std::vector<std::uint8_t>(1u << 20, 7));
  LoopDevice loop(dir / "backing");
  if (loop.path().empty()) GTEST_SKIP() << "no loop device could be attached (no /dev/loop-control?)";
  std::string message;
  EXPECT_EQ(refused(request(loop.path()), &message), Errc::usage);
  EXPECT_NE(message.find("the image needs"), std::string::npos) << message;
  EXPECT_EQ(test::read_file(dir / "backing"), std::vector<std::uint8_t>(1u << 20, 7));
}

}  // namespace
