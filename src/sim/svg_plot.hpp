// A line chart as a standalone SVG file, for convergence curves: a few series over a shared x
// axis, a logarithmic or linear y axis, and vertical markers (a workload shift); several charts
// may be stacked in one file.
//
//   SvgPlot plot{.title = "webserver", .x_label = "window", .y_label = "latency (ms)"};
//   plot.series.push_back({"best so far", "#1f77b4", 2, xs, ys});
//   plot.markers.push_back({150, "shift"});
//   write_file("curve.svg", render_svg(plot));
#pragma once

#include <string>
#include <vector>

namespace hatch::sim {

struct SvgSeries {
  std::string label;
  std::string color;  // any SVG colour
  double width = 1.5;
  std::vector<double> x;
  std::vector<double> y;  // same length as x; values <= 0 are skipped on a log axis
  bool dashed = false;
};

struct SvgMarker {
  double x = 0;
  std::string label;
};

struct SvgPlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_y = true;
  int width = 900;
  int height = 500;
  std::vector<SvgSeries> series;
  std::vector<SvgMarker> markers;
};

// The SVG document. An empty plot still renders (axes only). The legend goes below the x axis,
// in as many rows as its labels need, so that it stays inside the image.
std::string render_svg(const SvgPlot& plot);
// Several plots stacked top to bottom in one document, for panels that share the x axis.
std::string render_svg(const std::vector<SvgPlot>& panels);

}  // namespace hatch::sim
