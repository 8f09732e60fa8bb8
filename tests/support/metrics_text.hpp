// Reading a Prometheus text exposition in tests: the value of one series, named exactly as the
// exposition prints it, labels sorted by name: `hatch_frames_total{direction="sent"}`.
#pragma once

#include <optional>
#include <sstream>
#include <string>

namespace hatch::test {

// The value of `series` in `exposition`, or nullopt when no line has it.
inline std::optional<double> sample(const std::string& exposition, const std::string& series) {
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

}  // namespace hatch::test
