// A seeded stand-in for a system the learner could run against, for the learner's tests:
// a design's latency is a base, plus a cost for each component's option, plus a penalty for
// every pair of talking components that share no host, plus noise that shrinks with the
// window's length. Component c calls c + 1, or in a star component 0 calls every other one. An
// option's cost has the structure real placements have: each host has a cost for each component
// (its speed there); a set spreads the work, so it costs the mean of its hosts' costs divided by
// sqrt(count), plus a coordination overhead per extra host. Small enough to brute-force the
// optimum. Windows carry the entry latency and per-component latencies and call rates, as
// perception would report them.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "design/design_space.hpp"
#include "perception/window.hpp"

namespace hatch::testing {

struct SyntheticOptions {
  std::uint64_t seed = 1;
  double interaction_ms = 0;  // penalty per talking pair on disjoint hosts; 0: separable
  double noise_cv = 0;        // noise of a 1-second window, as a fraction of the latency
  bool star = false;          // component 0 calls all others, which call no one
};

class SyntheticEnvironment {
 public:
  SyntheticEnvironment(const DesignSpace& space, SyntheticOptions options)
      : space_(space), options_(options), rng_(options.seed ^ 0x9e3779b97f4a7c15ull) {
    reshuffle(options.seed);
  }

  // Draws new option costs: the environment shifts.
  void reshuffle(std::uint64_t seed) {
    std::mt19937_64 draw(seed);
    std::uniform_real_distribution<double> host_cost(1, 10);
    std::uniform_real_distribution<double> overhead(0.5, 4);
    costs_.assign(space_.component_count(), {});
    for (std::size_t c = 0; c < space_.component_count(); ++c) {
      std::map<std::string, double> on;
      on["local"] = host_cost(draw);
      for (const std::string& h : space_.hosts()) on[h] = host_cost(draw);
      const double extra = overhead(draw);
      for (OptionIndex o = 0; o < space_.option_count(c); ++o) {
        const std::vector<std::string> hosts = hosts_of(c, o);
        double sum = 0;
        for (const std::string& h : hosts) sum += on[h];
        const double k = double(hosts.size());
        costs_[c].push_back(sum / k / std::sqrt(k) + extra * (k - 1));
      }
    }
  }

  double latency_ms(const Choice& choice) const {
    double total = 5;
    for (std::size_t c = 0; c < choice.size(); ++c) total += costs_[c][choice[c]];
    for (const auto& [caller, callee] : calls())
      if (!share_a_host(caller, choice[caller], callee, choice[callee]))
        total += options_.interaction_ms;
    return total;
  }

  double optimum_ms() const {
    Choice choice(space_.component_count(), 0);
    double best = latency_ms(choice);
    while (space_.next(choice)) best = std::min(best, latency_ms(choice));
    return best;
  }

  double cap_ms() const { return 20.0 * double(space_.component_count()) + 50; }

  // One window of `seconds` running `choice`, and its reward.
  std::pair<Window, double> run(const Choice& choice, double seconds) {
    const double expected = latency_ms(choice);
    const double sd = options_.noise_cv * expected / std::sqrt(seconds);
    const double measured = std::max(0.1, expected + std::normal_distribution<double>(0, sd)(rng_));
    Window w;
    w.seconds = seconds;
    w.throughput_rps = 100;
    w.entry = {.count = std::uint64_t(100 * seconds), .mean_ms = measured, .p50_ms = measured};
    for (std::size_t c = 0; c < choice.size(); ++c) {
      ComponentWindow component;
      component.name = space_.component(c).name;
      component.calls_per_s = 100;
      component.latency.mean_ms = costs_[c][choice[c]];
      w.components.push_back(component);
    }
    for (const auto& [caller, callee] : calls()) {
      const bool apart = !share_a_host(caller, choice[caller], callee, choice[callee]);
      w.edges.push_back(
          {.caller = caller,
           .callee = callee,
           .calls_per_s = 100,
           .bytes_per_call = 1000,
           .latency_ms = costs_[callee][choice[callee]] + (apart ? options_.interaction_ms : 0)});
    }
    return {w, 1 - std::min(measured, cap_ms()) / cap_ms()};
  }

 private:
  // Who calls whom: (caller, callee).
  std::vector<std::pair<std::size_t, std::size_t>> calls() const {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    for (std::size_t c = 1; c < space_.component_count(); ++c)
      out.emplace_back(options_.star ? 0 : c - 1, c);
    return out;
  }
  bool share_a_host(std::size_t a, OptionIndex option_a, std::size_t b,
                    OptionIndex option_b) const {
    for (const std::string& h : hosts_of(a, option_a))
      for (const std::string& g : hosts_of(b, option_b))
        if (h == g) return true;
    return false;
  }
  std::vector<std::string> hosts_of(std::size_t c, OptionIndex option) const {
    const Placement p = space_.option(c, option);
    return p.hosts.empty() ? std::vector<std::string>{"local"} : p.hosts;
  }

  const DesignSpace& space_;
  SyntheticOptions options_;
  std::mt19937_64 rng_;
  std::vector<std::vector<double>> costs_;
};

}  // namespace hatch::testing
