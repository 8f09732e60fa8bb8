// A first learner: one agent per unpinned component; one agent explores per window, in turn,
// while the others keep their best option. Each agent tries every option once, then explores
// with a decaying probability.
#include "learn/learner.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace hatch {
namespace {

struct OptionStats {
  std::uint64_t pulls = 0;
  double mean = 0;
  double last = 0;
};

}  // namespace

struct Learner::Impl {
  Impl(const DesignSpace& s, LearnerOptions o) : space(s), options(o), rng(o.seed) {
    for (std::size_t c = 0; c < space.component_count(); ++c) {
      stats.emplace_back(space.options(c).size());
      if (!space.component(c).pinned && space.options(c).size() > 1) agents.push_back(c);
    }
  }

  std::uint32_t best_option(std::size_t c) const {
    const auto& s = stats[c];
    std::uint32_t best = 0;
    for (std::uint32_t o = 1; o < s.size(); ++o)
      if (s[o].pulls > 0 && (s[best].pulls == 0 || s[o].mean > s[best].mean)) best = o;
    return best;
  }

  Choice exploit() const {
    Choice choice(space.component_count(), 0);
    for (std::size_t c : agents) choice[c] = best_option(c);
    return choice;
  }

  const DesignSpace& space;
  LearnerOptions options;
  std::mt19937_64 rng;
  std::vector<std::vector<OptionStats>> stats;  // [component][option]
  std::vector<std::size_t> agents;              // components that choose
  std::size_t turn = 0;
  std::uint64_t windows = 0;
  std::string phase = "starting";
};

Learner::Learner(const DesignSpace& space, LearnerOptions options)
    : impl_(std::make_unique<Impl>(space, options)) {}

Learner::~Learner() = default;

Choice Learner::propose() {
  Impl& m = *impl_;
  Choice choice = m.exploit();
  if (m.agents.empty()) {
    m.phase = "nothing to choose";
    return choice;
  }
  const std::size_t c = m.agents[m.turn++ % m.agents.size()];
  const auto& s = m.stats[c];
  const auto untried = std::find_if(s.begin(), s.end(), [](auto& o) { return o.pulls == 0; });
  const double epsilon = 1.0 / std::sqrt(1.0 + double(m.windows) / double(m.agents.size()));
  if (untried != s.end()) {
    choice[c] = std::uint32_t(untried - s.begin());
  } else if (std::uniform_real_distribution<double>(0, 1)(m.rng) < epsilon) {
    choice[c] = std::uniform_int_distribution<std::uint32_t>(0, s.size() - 1)(m.rng);
  }
  m.phase = choice[c] == m.best_option(c) ? "exploiting" : "exploring " + m.space.component(c).name;
  return choice;
}

double Learner::window_seconds() const {
  return 1.0;
}

void Learner::observe(const Choice& ran, const Window&, double reward) {
  Impl& m = *impl_;
  ++m.windows;
  for (std::size_t c = 0; c < ran.size() && c < m.stats.size(); ++c) {
    if (ran[c] >= m.stats[c].size()) continue;
    OptionStats& o = m.stats[c][ran[c]];
    ++o.pulls;
    o.mean += (reward - o.mean) / double(o.pulls);
    o.last = reward;
  }
}

Choice Learner::best() const {
  return impl_->exploit();
}

std::string Learner::phase() const {
  return impl_->phase;
}

std::string Learner::matrix_csv() const {
  const Impl& m = *impl_;
  std::ostringstream out;
  out << "component,option,placement,pulls,mean_reward,last_reward\n";
  for (std::size_t c = 0; c < m.stats.size(); ++c)
    for (std::size_t o = 0; o < m.stats[c].size(); ++o) {
      const OptionStats& s = m.stats[c][o];
      out << m.space.component(c).name << ',' << o << ",\"" << m.space.options(c)[o].to_string()
          << "\"," << s.pulls << ',' << s.mean << ',' << s.last << '\n';
    }
  return out.str();
}

std::string Learner::matrix_json() const {
  const Impl& m = *impl_;
  nlohmann::json components = nlohmann::json::array();
  for (std::size_t c = 0; c < m.stats.size(); ++c) {
    nlohmann::json options = nlohmann::json::array();
    for (std::size_t o = 0; o < m.stats[c].size(); ++o) {
      const OptionStats& s = m.stats[c][o];
      options.push_back({{"option", o},
                         {"placement", m.space.options(c)[o].to_string()},
                         {"pulls", s.pulls},
                         {"mean_reward", s.mean},
                         {"last_reward", s.last}});
    }
    components.push_back({{"component", m.space.component(c).name}, {"options", options}});
  }
  return nlohmann::json{{"components", components}}.dump(2);
}

}  // namespace hatch
