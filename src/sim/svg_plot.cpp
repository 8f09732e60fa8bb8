#include "sim/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace hatch::sim {
namespace {

constexpr double kLeft = 70;
constexpr double kRight = 20;
constexpr double kTop = 40;
constexpr double kBottom = 50;  // the x axis's ticks and label; the legend goes below them
constexpr double kLegendRow = 18;
constexpr double kLegendKey = 34;  // the line sample and the gap before its label

// About how wide `text` is at font size 12 in a sans-serif font: enough to keep legend entries
// apart and inside the image without measuring glyphs.
double text_width(const std::string& text) {
  return 6.8 * static_cast<double>(text.size());
}

struct LegendEntry {
  const SvgSeries* series;
  double x;
  int row;
};

// Legend entries flowed left to right in rows no wider than `room`.
std::vector<LegendEntry> lay_out_legend(const std::vector<SvgSeries>& series, double room) {
  std::vector<LegendEntry> out;
  double x = 0;
  int row = 0;
  for (const SvgSeries& s : series) {
    if (s.label.empty()) continue;
    const double need = kLegendKey + text_width(s.label) + 24;
    if (x > 0 && x + need > room) {
      x = 0;
      ++row;
    }
    out.push_back({&s, x, row});
    x += need;
  }
  return out;
}

int legend_rows(const std::vector<LegendEntry>& legend) {
  return legend.empty() ? 0 : legend.back().row + 1;
}

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
  for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);  // no "-0" label
  }
  return out;
}

// One plot's elements, `top` pixels down the image.
std::string render_panel(const SvgPlot& plot, double top) {
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
  const double h = plot.height - kTop - kBottom;  // the legend's rows come on top of height
  auto px = [&](double x) { return kLeft + (x - x_lo) / (x_hi - x_lo) * w; };
  auto py = [&](double y) {
    const double t =
        plot.log_y ? (std::log10(y) - std::log10(y_lo)) / (std::log10(y_hi) - std::log10(y_lo))
                   : (y - y_lo) / (y_hi - y_lo);
    return kTop + (1 - t) * h;
  };

  const std::vector<LegendEntry> legend = lay_out_legend(plot.series, plot.width - kLeft - kRight);
  std::string out = fmt::format(
      "<g transform=\"translate(0,{})\">\n"
      "<text x=\"{}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{}</text>\n",
      top, kLeft + w / 2, escaped(plot.title));
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
  for (const SvgSeries& s : plot.series) {
    std::string points;
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i]) || (plot.log_y && s.y[i] <= 0)) continue;
      points += fmt::format("{:.1f},{:.1f} ", px(s.x[i]), py(std::clamp(s.y[i], y_lo, y_hi)));
    }
    out +=
        fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"{} points=\"{}\"/>\n",
                    s.color, s.width, s.dashed ? " stroke-dasharray=\"4,3\"" : "", points);
  }
  // The legend, below the x axis's label: inside the image however long the labels are.
  for (const LegendEntry& e : legend) {
    const SvgSeries& s = *e.series;
    const double x = kLeft + e.x;
    const double y = plot.height + e.row * kLegendRow;
    out += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"{3}\" "
        "stroke-width=\"{4}\"{5}/>\n<text x=\"{6:.1f}\" y=\"{7:.1f}\">{8}</text>\n",
        x, y, x + 24, s.color, s.width, s.dashed ? " stroke-dasharray=\"4,3\"" : "", x + kLegendKey,
        y + 4, escaped(s.label));
  }
  out += "</g>\n";
  return out;
}

// The height a panel takes: the plot and its legend's rows.
double panel_height(const SvgPlot& plot) {
  return plot.height +
         legend_rows(lay_out_legend(plot.series, plot.width - kLeft - kRight)) * kLegendRow + 6;
}

}  // namespace

std::string render_svg(const SvgPlot& plot) {
  return render_svg(std::vector<SvgPlot>{plot});
}

std::string render_svg(const std::vector<SvgPlot>& panels) {
  double width = 0;
  double height = 0;
  for (const SvgPlot& p : panels) {
    width = std::max(width, static_cast<double>(p.width));
    height += panel_height(p);
  }
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      width, height);
  double top = 0;
  for (const SvgPlot& p : panels) {
    out += render_panel(p, top);
    top += panel_height(p);
  }
  out += "</svg>\n";
  return out;
}

}  // namespace hatch::sim
