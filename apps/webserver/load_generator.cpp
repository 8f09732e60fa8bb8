#include "load_generator.hpp"

#include <charconv>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "load_driver.hpp"

namespace hatch::web {
namespace {

double number(std::string_view key, std::string_view text, double min, double max) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !(v >= min && v <= max)) {
    throw std::invalid_argument("load phase: " + std::string(key) + "=" + std::string(text) +
                                " is not a number from " + std::to_string(min) + " to " +
                                std::to_string(max));
  }
  return v;
}

// One phase: a LoadDriver for the phase's duration, then what its clients saw.
PhaseResult run_phase(const LoadOptions& options, const LoadPhase& phase, std::uint64_t seed) {
  LoadDriver driver(options.target, options.paths, phase, seed);
  std::this_thread::sleep_for(phase.duration);
  driver.stop();
  return PhaseResult{driver.take(), phase.name};
}

}  // namespace

LoadPhase LoadPhase::parse(std::string_view spec) {
  LoadPhase phase;
  while (!spec.empty()) {
    const std::size_t comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      throw std::invalid_argument("load phase: '" + std::string(item) + "' is not key=value");
    }
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "name") {
      phase.name = std::string(value);
    } else if (key == "seconds") {
      phase.duration = std::chrono::milliseconds(
          static_cast<std::int64_t>(number(key, value, 0.001, 3600) * 1000));
    } else if (key == "connections") {
      phase.connections = static_cast<std::size_t>(number(key, value, 1, 1024));
    } else if (key == "rate") {
      phase.rate = number(key, value, 0, 1e7);
    } else if (key == "text") {
      phase.text_share = number(key, value, 0, 1);
    } else if (key == "hot") {
      phase.hot_set = static_cast<std::size_t>(number(key, value, 0, 1e9));
    } else if (key == "hot_share") {
      phase.hot_share = number(key, value, 0, 1);
    } else if (key == "writes") {
      phase.write_share = number(key, value, 0, 1);
    } else if (key == "accept") {
      phase.compressed_share = number(key, value, 0, 1);
    } else {
      throw std::invalid_argument("load phase: unknown key '" + std::string(key) +
                                  "' (known: name, seconds, connections, rate, text, hot, "
                                  "hot_share, writes, accept)");
    }
  }
  return phase;
}

std::vector<PhaseResult> run_load(const LoadOptions& options,
                                  const std::function<void(const PhaseResult&)>& on_phase) {
  if (options.paths.empty()) throw std::invalid_argument("load: no documents to request");
  std::vector<PhaseResult> results;
  for (std::size_t i = 0; i < options.phases.size(); ++i) {
    results.push_back(run_phase(options, options.phases[i], options.seed + i));
    if (on_phase) on_phase(results.back());
  }
  return results;
}

std::string to_string(const PhaseResult& r) {
  char line[256];
  std::snprintf(line, sizeof line,
                "%s: %llu requests in %.1f s = %.0f req/s, p50 %.3f ms, p99 %.3f ms, %llu errors",
                r.name.c_str(), static_cast<unsigned long long>(r.requests), r.seconds,
                r.requests_per_s, r.latency.p50_ms, r.latency.p99_ms,
                static_cast<unsigned long long>(r.errors));
  return line;
}

}  // namespace hatch::web
