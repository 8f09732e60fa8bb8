// A seeded multi-armed Bernoulli bandit problem for the bandit tests: arm i pays 1 with
// probability p[i], else 0. Also counts how often a bandit pulled each arm.
#pragma once

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "learn/bandit.hpp"

namespace hatch::testing {

class BernoulliArms {
 public:
  BernoulliArms(std::vector<double> p, std::uint64_t seed) : p_(std::move(p)), rng_(seed) {}

  double pull(std::size_t arm) { return std::bernoulli_distribution(p_[arm])(rng_) ? 1.0 : 0.0; }
  void set_probabilities(std::vector<double> p) { p_ = std::move(p); }

  // Plays `rounds` rounds and returns how often each arm was pulled.
  std::vector<std::uint64_t> play(Bandit& bandit, std::size_t rounds) {
    std::vector<std::uint64_t> pulls(p_.size(), 0);
    for (std::size_t t = 0; t < rounds; ++t) {
      const std::size_t arm = bandit.select();
      ++pulls[arm];
      bandit.update(arm, pull(arm));
    }
    return pulls;
  }

 private:
  std::vector<double> p_;
  std::mt19937_64 rng_;
};

}  // namespace hatch::testing
