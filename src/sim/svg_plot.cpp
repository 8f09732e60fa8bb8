#include "sim/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace hatch::sim {
namespace {

constexpr double kLeft = 70;
constexpr double kRight = 170;  // room for the legend
constexpr double kTop = 40;
constexpr double kBottom = 50;

std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

// Ticks at 1, 2, 5 times powers of ten: readable on both axes.
std::vector<double> nice_ticks(double lo, double hi, bool log) {
  std::vector<double> out;
  if (log) {
    for (int e = static_cast<int>(std::floor(std::log10(lo))); e <= std::ceil(std::log10(hi));
         ++e) {
      for (double m : {1.0, 2.0, 5.0}) {
        const double v = m * std::pow(10.0, e);
        if (v >= lo && v <= hi) out.push_back(v);
      }
    }
    return out;
  }
  const double raw = (hi - lo) / 6;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  }
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push_back(v);
  return out;
}

}  // namespace

std::string render_svg(const SvgPlot& plot) {
  double x_lo = std::numeric_limits<double>::infinity();
  double x_hi = -x_lo;
  double y_lo = x_lo;
  double y_hi = -x_lo;
  for (const SvgSeries& s : plot.series) {
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i]) || (plot.log_y && s.y[i] <= 0)) continue;
      x_lo = std::min(x_lo, s.x[i]);
      x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]);
      y_hi = std::max(y_hi, s.y[i]);
    }
  }
  if (!std::isfinite(x_lo)) {
    x_lo = 0;
    x_hi = 1;
    y_lo = 1;
    y_hi = 10;
  }
  if (x_hi <= x_lo) x_hi = x_lo + 1;
  if (plot.log_y) {
    y_lo = std::pow(10.0, std::floor(std::log10(y_lo) * 4) / 4);
    y_hi = std::pow(10.0, std::ceil(std::log10(y_hi) * 4) / 4);
    if (y_hi <= y_lo) y_hi = y_lo * 10;
  } else {
    if (y_hi <= y_lo) y_hi = y_lo + 1;
    const double pad = (y_hi - y_lo) * 0.05;
    y_lo -= pad;
    y_hi += pad;
  }
  const double w = plot.width - kLeft - kRight;
  const double h = plot.height - kTop - kBottom;
  auto px = [&](double x) { return kLeft + (x - x_lo) / (x_hi - x_lo) * w; };
  auto py = [&](double y) {
    const double t =
        plot.log_y ? (std::log10(y) - std::log10(y_lo)) / (std::log10(y_hi) - std::log10(y_lo))
                   : (y - y_lo) / (y_hi - y_lo);
    return kTop + (1 - t) * h;
  };

  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n",
      plot.width, plot.height, kLeft + w / 2, escaped(plot.title));
  for (double t : nice_ticks(y_lo, y_hi, plot.log_y)) {
    out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:g}</text>\n",
        kLeft, py(t), kLeft + w, py(t), kLeft - 6, py(t) + 4, t);
  }
  for (double t : nice_ticks(x_lo, x_hi, false)) {
    out += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:g}</text>\n",
        px(t), kTop, px(t), kTop + h, px(t), kTop + h + 16, t);
  }
  out += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n"
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n"
      "<text transform=\"translate(16,{}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
      kLeft, kTop, w, h, kLeft + w / 2, plot.height - 12, escaped(plot.x_label), kTop + h / 2,
      escaped(plot.y_label));
  for (const SvgMarker& m : plot.markers) {
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#d62728\" "
        "stroke-dasharray=\"6,4\"/>\n<text x=\"{3:.1f}\" y=\"{4:.1f}\" "
        "fill=\"#d62728\">{5}</text>\n",
        px(m.x), kTop, kTop + h, px(m.x) + 4, kTop + 14, escaped(m.label));
  }
  double legend_y = kTop + 10;
  for (const SvgSeries& s : plot.series) {
    std::string points;
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i]) || (plot.log_y && s.y[i] <= 0)) continue;
      points += fmt::format("{:.1f},{:.1f} ", px(s.x[i]), py(std::clamp(s.y[i], y_lo, y_hi)));
    }
    const std::string dash = s.dashed ? " stroke-dasharray=\"4,3\"" : "";
    out +=
        fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"{} points=\"{}\"/>\n",
                    s.color, s.width, dash, points);
    if (s.label.empty()) continue;
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"{4}\"{5}/>\n<text x=\"{6:.1f}\" y=\"{7:.1f}\">{8}</text>\n",
        kLeft + w + 10, legend_y, kLeft + w + 34, s.color, s.width, dash, kLeft + w + 40,
        legend_y + 4, escaped(s.label));
    legend_y += 18;
  }
  out += "</svg>\n";
  return out;
}

}  // namespace hatch::sim
