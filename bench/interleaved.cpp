#include "interleaved.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

namespace hatch::bench {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void report_ratios(benchmark::State& state, const std::string& prefix,
                   const std::vector<double>& ratios) {
  state.counters[prefix + "_median"] = median(ratios);
  state.counters[prefix + "_min"] = *std::min_element(ratios.begin(), ratios.end());
  state.counters[prefix + "_max"] = *std::max_element(ratios.begin(), ratios.end());
}

std::uint64_t process_switches() {
  std::uint64_t total = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream status(task.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.find("ctxt_switches:") != std::string::npos) {
        total += std::stoull(line.substr(line.find(':') + 1));
      }
    }
  }
  return total;
}

void interleaved(benchmark::State& state, const std::vector<Side>& sides,
                 const std::vector<std::pair<std::size_t, std::size_t>>& also) {
  using Clock = std::chrono::steady_clock;
  std::vector<std::vector<double>> samples(sides.size());
  std::vector<double> switches(sides.size());
  std::vector<double> calls(sides.size());
  std::size_t round = 0;
  for (auto _ : state) {
    std::vector<double> p50(sides.size());
    for (std::size_t k = 0; k < sides.size(); ++k) {
      const std::size_t s = (k + round) % sides.size();
      std::vector<double> us(static_cast<std::size_t>(sides[s].calls));
      const std::uint64_t before = process_switches();
      for (double& t : us) {
        const auto t0 = Clock::now();
        sides[s].once();
        t = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
      }
      switches[s] += static_cast<double>(process_switches() - before);
      calls[s] += static_cast<double>(us.size());
      samples[s].push_back(median(std::move(us)));
    }
    ++round;
  }
  // The ratio of sides a and b in each round.
  const auto ratios = [&](std::size_t a, std::size_t b) {
    std::vector<double> r;
    for (std::size_t i = 0; i < round; ++i) r.push_back(samples[a][i] / samples[b][i]);
    return r;
  };
  for (std::size_t s = 0; s < sides.size(); ++s) {
    state.counters[sides[s].name + "_p50_us"] = median(samples[s]);
    state.counters[sides[s].name + "_switches_per_call"] = switches[s] / calls[s];
    if (s > 0) report_ratios(state, "over_" + sides[s].name, ratios(0, s));
  }
  for (const auto& [a, b] : also) {
    report_ratios(state, sides[a].name + "_over_" + sides[b].name, ratios(a, b));
  }
  state.counters["pairs"] = static_cast<double>(round);
}

}  // namespace hatch::bench
