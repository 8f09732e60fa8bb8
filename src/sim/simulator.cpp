#include "sim/simulator.hpp"

#include <algorithm>
#include <cmath>

#include "hatch/error.hpp"

namespace hatch::sim {
namespace {

constexpr std::array<double, 3> kNormalQuantile = {0.0, 1.6448536, 2.3263479};
// A percentile's sampling error relative to the mean's, for the same number of calls.
constexpr std::array<double, 3> kQuantileNoise = {1.0, 1.6, 2.5};

Scenario validated(Scenario scenario) {
  validate(scenario);
  return scenario;
}

// The latency distribution of one call is lognormal with the scenario's coefficient of
// variation: it is skewed right, like measured latencies, and its quantiles scale with the mean.
std::array<double, 3> quantile_factors(double cv) {
  const double sigma2 = std::log1p(cv * cv);
  const double median = 1 / std::sqrt(1 + cv * cv);
  std::array<double, 3> out{};
  for (std::size_t i = 0; i < 3; ++i)
    out[i] = median * std::exp(std::sqrt(sigma2) * kNormalQuantile[i]);
  return out;
}

// A noisy estimate of `mean` from `samples` draws whose spread is `cv` times the mean. Never
// below a tenth of the mean, so that a rare large draw cannot make a latency negative.
double noisy(double mean, double cv, double samples, std::mt19937_64& rng) {
  if (mean <= 0) return 0;
  std::normal_distribution<double> z(0, 1);
  const double relative = cv / std::sqrt(std::max(1.0, samples));
  return mean * std::max(0.1, 1 + relative * z(rng));
}

}  // namespace

Simulator::Simulator(Scenario scenario)
    : scenario_(validated(std::move(scenario))),
      space_(scenario_.space()),
      before_(scenario_, scenario_.workload, space_),
      quantile_factor_(quantile_factors(scenario_.latency_cv)) {
  if (scenario_.shift) after_.emplace(scenario_, scenario_.shift->workload, space_);
}

void Simulator::set_shifted(bool shifted) {
  if (shifted && !after_) {
    throw UsageError("scenario '" + scenario_.name + "' has no workload shift");
  }
  shifted_ = shifted;
}

const LatencyModel& Simulator::model(bool after_shift) const {
  if (after_shift && !after_) {
    throw UsageError("scenario '" + scenario_.name + "' has no workload shift");
  }
  return after_shift ? *after_ : before_;
}

Window Simulator::simulate_window(const Choice& choice, double seconds,
                                  std::mt19937_64& rng) const {
  space_.check(choice);
  if (!(seconds > 0) || !std::isfinite(seconds)) {
    throw UsageError("simulator: a window must last a positive number of seconds");
  }
  const LatencyModel& m = model();
  const ModelDetail d = m.detail(choice);
  const double cv = scenario_.latency_cv;
  auto summary = [&](double mean, double calls) {
    LatencySummary s;
    s.count = static_cast<std::uint64_t>(std::max(0.0, std::round(calls)));
    if (s.count == 0) return s;
    s.mean_ms = noisy(mean, cv, calls, rng);
    double* quantiles[3] = {&s.p50_ms, &s.p95_ms, &s.p99_ms};
    double previous = 0;
    for (std::size_t i = 0; i < 3; ++i) {
      const double q = noisy(mean * quantile_factor_[i], cv * kQuantileNoise[i], calls, rng);
      *quantiles[i] = std::max(previous, q);
      previous = *quantiles[i];
    }
    return s;
  };
  auto rate_of = [&](double calls_per_request) {
    const double expected = calls_per_request * d.throughput_rps * seconds;
    if (expected <= 0) return 0.0;
    std::normal_distribution<double> z(0, 1);
    return std::max(0.0, expected + std::sqrt(expected) * z(rng)) / seconds;
  };

  Window w;
  w.seconds = seconds;
  w.throughput_rps = rate_of(1);
  w.entry = summary(d.latency_ms, w.throughput_rps * seconds);
  for (std::size_t c = 0; c < scenario_.components.size(); ++c) {
    ComponentWindow cw;
    cw.name = scenario_.components[c].name;
    cw.calls_per_s = rate_of(d.component_calls_per_request[c]);
    cw.latency = summary(d.component_latency_ms[c], cw.calls_per_s * seconds);
    cw.request_bytes = d.component_request_bytes[c];
    cw.response_bytes = d.component_response_bytes[c];
    w.components.push_back(std::move(cw));
  }
  for (std::size_t e = 0; e < scenario_.edges.size(); ++e) {
    const EdgeModel& edge = scenario_.edges[e];
    EdgeWindow ew;
    ew.caller = edge.caller;
    ew.callee = edge.callee;
    ew.calls_per_s = rate_of(d.edge_calls_per_request[e]);
    ew.bytes_per_call = edge.request_bytes + edge.response_bytes;
    ew.latency_ms = noisy(d.edge_latency_ms[e], cv, ew.calls_per_s * seconds, rng);
    w.edges.push_back(ew);
  }
  return w;
}

}  // namespace hatch::sim
