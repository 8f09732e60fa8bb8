// The SVG plots people read: a legend stays inside the image however long its labels are (it
// was cut off at the right edge), and panels stack in one image with a log axis where asked.
#include "sim/svg_plot.hpp"

#include <algorithm>
#include <regex>
#include <string>

#include <gtest/gtest.h>

namespace hatch::sim {
namespace {

double attribute(const std::string& element, const std::string& name) {
  std::smatch m;
  const std::regex pattern(" " + name + "=\"([-0-9.]+)\"");
  EXPECT_TRUE(std::regex_search(element, m, pattern)) << element;
  return std::stod(m[1].str());
}

SvgSeries series(const std::string& label) {
  return {label, "#1f77b4", 1.5, {0, 1, 2}, {0.2, 0.5, 0.9}};
}

TEST(SvgPlot, EveryLegendLabelEndsInsideTheImage) {
  SvgPlot plot;
  plot.log_y = false;
  plot.series = {series("static designs measured (sweep, comparison)"),
                 series("reward of each learning window"), series("best so far in the phase"),
                 series("a fourth series with a label long enough to need a row of its own")};
  const std::string svg = render_svg(plot);
  std::smatch size;
  ASSERT_TRUE(std::regex_search(svg, size, std::regex(R"re(width="(\d+)" height="(\d+)")re")));
  const double width = std::stod(size[1].str());
  const double height = std::stod(size[2].str());
  int labels = 0;
  const std::regex text(R"(<text [^>]*>([^<]*)</text>)");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), text); it != std::sregex_iterator();
       ++it) {
    const std::string element = (*it)[0].str();
    const std::string label = (*it)[1].str();
    if (element.find("text-anchor") != std::string::npos) continue;  // ticks, axis labels, title
    ++labels;
    // Glyphs of a 12 px sans-serif font are at most about 7 px wide on average.
    EXPECT_LE(attribute(element, "x") + 7.0 * static_cast<double>(label.size()), width) << label;
    EXPECT_LE(attribute(element, "y"), height) << label;
  }
  EXPECT_EQ(labels, 4);
}

TEST(SvgPlot, PanelsStackInOneImageWithTheirOwnAxes) {
  SvgPlot reward;
  reward.log_y = false;
  reward.series = {series("reward")};
  SvgPlot latency;
  latency.log_y = true;
  latency.series = {{"latency", "#ff7f0e", 1.5, {0, 1, 2}, {0.1, 1, 100}}};
  const std::string svg = render_svg(std::vector<SvgPlot>{reward, latency});
  const std::string one = render_svg(reward);
  std::smatch a, b;
  const std::regex height(R"re(height="([0-9.]+)")re");
  ASSERT_TRUE(std::regex_search(one, a, height));
  ASSERT_TRUE(std::regex_search(svg, b, height));
  EXPECT_GT(std::stod(b[1].str()), 1.9 * std::stod(a[1].str()));
  EXPECT_NE(svg.find("<g transform=\"translate(0,0)\">"), std::string::npos);
  EXPECT_EQ(std::regex_search(svg, std::regex(R"re(<g transform="translate\(0,[1-9])re")), true);
  // The log axis has decade ticks 0.1, 1, 10, 100.
  for (const char* tick : {">0.1<", ">1<", ">10<", ">100<"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
}

}  // namespace
}  // namespace hatch::sim
