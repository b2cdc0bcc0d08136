// The HTML report opened in headless Chromium: the screenshot's chart areas hold the series colours
// (drawn lines, not a blank page). The same page with its SVGs removed fails the same check, so the
// check itself can fail. Skips when gnuplot or chromium is missing.
#include "chunkbench/reports/html.hpp"

#include <gtest/gtest.h>
#include <png.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "chunkbench/error.hpp"
#include "chunkbench/reports/gnuplot.hpp"
#include "synthetic.hpp"

namespace fs = std::filesystem;
using namespace chunkbench::reports;

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr int kWidth = 1400, kHeight = 3000;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("cb-html-" + std::to_string(::getpid()) + "-" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

struct Image {
  unsigned width = 0, height = 0;
  std::vector<std::uint8_t> rgba;
  const std::uint8_t* at(unsigned x, unsigned y) const { return &rgba[(static_cast<std::size_t>(y) * width + x) * 4]; }
};

Image decode_png(const fs::path& file) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, file.c_str())) throw std::runtime_error(file.string() + ": " + img.message);
  img.format = PNG_FORMAT_RGBA;
  Image out;
  out.width = img.width;
  out.height = img.height;
  out.rgba.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.rgba.data(), 0, nullptr))
    throw std::runtime_error(file.string() + ": " + img.message);
  return out;
}

// Chromium prints to stderr and may linger on D-Bus lookups; `timeout` bounds it, a fresh profile
// keeps it from reading or writing anything of the user's.
void screenshot(const fs::path& html, const fs::path& png, const fs::path& profile) {
  const std::string cmd = std::string("timeout 120 ") + kChromium +
                          " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                          " --disable-background-networking --disable-component-update --disable-sync"
                          " --user-data-dir='" + profile.string() + "' --screenshot='" + png.string() +
                          "' --window-size=" + std::to_string(kWidth) + "," + std::to_string(kHeight) + " 'file://" +
                          html.string() + "' >'" + profile.string() + ".log' 2>&1";
  const int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << cmd;
  ASSERT_TRUE(fs::exists(png)) << cmd;
}

bool near(const std::uint8_t* p, int r, int g, int b) {
  return std::abs(p[0] - r) < 24 && std::abs(p[1] - g) < 24 && std::abs(p[2] - b) < 24;
}

struct BandCount {
  int blue = 0, orange = 0, green = 0;  // h2, HTTP/1.1, casync series colours
};

BandCount count_series_pixels(const Image& img, unsigned y0, unsigned y1) {
  BandCount c;
  for (unsigned y = y0; y < std::min(y1, img.height); ++y)
    for (unsigned x = 0; x < img.width; ++x) {
      const auto* p = img.at(x, y);
      c.blue += near(p, 0x00, 0x72, 0xB2);
      c.orange += near(p, 0xD5, 0x5E, 0x00);
      c.green += near(p, 0x00, 0x9E, 0x73);
    }
  return c;
}

// The first four figures fill the top of the page (each about 700 px high). Every 700 px band from
// below the heading must show the h2, HTTP/1.1 and casync series.
std::string chart_check(const Image& img) {
  std::string problems;
  for (unsigned y0 = 100; y0 + 700 <= 2900; y0 += 700) {
    const auto c = count_series_pixels(img, y0, y0 + 700);
    if (c.blue < 100 || c.orange < 100 || c.green < 30)
      problems += "band " + std::to_string(y0) + ": blue " + std::to_string(c.blue) + ", orange " +
                  std::to_string(c.orange) + ", green " + std::to_string(c.green) + "\n";
  }
  return problems;
}

}  // namespace

TEST(HtmlReport, ChromiumScreenshotShowsTheCharts) {
  if (!gnuplot_available()) GTEST_SKIP() << "gnuplot is not installed (apt install gnuplot-nox)";
  if (!fs::exists(kChromium)) GTEST_SKIP() << kChromium << " is not installed (scripts/setup.sh installs chromium)";
  TempDir tmp;
  const auto results = synthetic::run(3, 1.0, "", 3);
  HtmlOptions o;
  o.sources = {"synthetic"};
  const std::string html = render_html(results, o);
  // Self-contained: nothing is loaded from anywhere.
  for (const char* remote : {"src=\"http", "href=\"http", "url(http", "src=\"//", "href=\"//", "<script", "<link"})
    EXPECT_EQ(html.find(remote), std::string::npos) << remote;
  std::ofstream(tmp.path / "report.html") << html;
  ASSERT_NO_FATAL_FAILURE(screenshot(tmp.path / "report.html", tmp.path / "report.png", tmp.path / "profile"));
  const auto img = decode_png(tmp.path / "report.png");
  ASSERT_EQ(img.width, static_cast<unsigned>(kWidth));
  ASSERT_GE(img.height, 2900u);
  EXPECT_EQ(chart_check(img), "");
  if (const char* keep = std::getenv("CHUNKBENCH_KEEP_SCREENSHOT")) fs::copy_file(tmp.path / "report.png", keep, fs::copy_options::overwrite_existing);

  // The control: without its charts the same page fails the check.
  std::string blank = html;
  for (auto start = blank.find("<svg"); start != std::string::npos; start = blank.find("<svg", start)) {
    const auto end = blank.find("</svg>", start);
    ASSERT_NE(end, std::string::npos);
    blank.replace(start, end + 6 - start, "<div style=\"height:700px\"></div>");
  }
  std::ofstream(tmp.path / "blank.html") << blank;
  ASSERT_NO_FATAL_FAILURE(screenshot(tmp.path / "blank.html", tmp.path / "blank.png", tmp.path / "profile2"));
  EXPECT_NE(chart_check(decode_png(tmp.path / "blank.png")), "");
}

TEST(HtmlReport, GnuplotErrorsAreQuoted) {
  if (!gnuplot_available()) GTEST_SKIP() << "gnuplot is not installed (apt install gnuplot-nox)";
  try {
    gnuplot_svg("set terminal svg\nplot $nope using 1:2\n");
    FAIL() << "a bad script passed";
  } catch (const chunkbench::Error& e) {
    EXPECT_NE(std::string(e.what()).find("gnuplot failed"), std::string::npos) << e.what();
  }
  EXPECT_THROW(gnuplot_svg("plot x", "/nonexistent/gnuplot"), chunkbench::Error);
}
