// The coordinator of the agents. See learner.hpp for the algorithm in brief and
// docs/learner.md for the reasons.
//
// Invariants: `incumbent_` is always a valid choice with every pinned component local; at most
// one agent has a turn at a time, and every design it proposes differs from the incumbent in
// that agent's component only; `memory_` holds measurements of the current environment only.
#include "learn/learner.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>
#include <optional>
#include <random>

#include "learn/action_matrix.hpp"
#include "learn/agent.hpp"
#include "learn/design_memory.hpp"
#include "learn/latency_shares.hpp"

namespace hatch {
namespace {

// What the learner maximises: the reward, or, when the reward is 0 because the latency is past
// the reward's cap, a negative number that still prefers the faster design, so that a learner
// starting far from any good design is not blind.
double value_of(double reward, const Window& window) {
  if (reward > 0) return reward;
  const double ms = std::max(window.entry.mean_ms, 0.0);
  return -ms / (ms + 100);
}

enum class Mode { warmup, sweep, quiet };

}  // namespace

struct Learner::Impl {
  Impl(const DesignSpace& s, LearnerOptions o)
      : space(s),
        options(o),
        rng(o.seed),
        incumbent(s.component_count(), 0),
        matrix(s),
        window(o.window),
        change(o.change),
        shares(s.component_count(), 1.0) {
    for (std::size_t c = 0; c < space.component_count(); ++c)
      if (!space.component(c).pinned && space.options(c).size() > 1) agents.emplace_back(space, c);
  }

  Choice with(std::size_t agent, std::uint32_t option) const {
    Choice choice = incumbent;
    choice[agents[agent].component()] = option;
    return choice;
  }
  double mean_of(const Choice& choice) const {
    const DesignRecord* record = memory.find(choice);
    return record ? record->value.mean : 0.0;
  }
  std::uint64_t runs_of(const Choice& choice) const {
    const DesignRecord* record = memory.find(choice);
    return record ? record->value.pulls : 0;
  }
  // The standard deviation of one window's value at the current length, never quite 0 so that
  // standardised values stay finite in a noiseless simulation.
  double noise() const {
    const double floor = 1e-6 + 1e-4 * std::abs(mean_of(incumbent));
    return std::max(window.has_noise_estimate() ? window.noise(window.seconds()) : 0.0, floor);
  }
  std::string name_of(std::size_t agent) const {
    return space.component(agents[agent].component()).name;
  }

  void start_sweep(TurnMode mode) {
    std::vector<std::size_t> order(agents.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return shares[agents[a].component()] > shares[agents[b].component()];
    });
    sweep.assign(order.begin(), order.end());
    if (mode == TurnMode::refine)
      std::erase_if(
          sweep, [&](std::size_t a) { return shares[agents[a].component()] < options.min_share; });
    sweep_mode = mode;
    accepted_in_sweep = false;
    mode_ = Mode::sweep;
  }

  void begin_turn(std::size_t agent, TurnMode mode) {
    turn = agent;
    agents[agent].begin_turn(incumbent[agents[agent].component()], mean_of(incumbent), mode,
                             noise());
    phase = "exploring " + name_of(agent);
  }

  void end_turn() {
    agents[*turn].end_turn();
    turn.reset();
  }

  void accept(std::uint32_t option) {
    const std::size_t agent = *turn;
    incumbent[agents[agent].component()] = option;
    accepted_in_sweep = true;
    change.reset();
    last_incumbent_window = windows;
    end_turn();
    if (mode_ == Mode::quiet) start_sweep(TurnMode::refine);
    quiet_gap = options.quiet_gap_min;
  }

  // The agent in turn has nothing left to probe: accept its best option, give it another
  // window to prove itself (returned), or end the turn.
  std::optional<Choice> decide() {
    Agent& agent = agents[*turn];
    const auto best = agent.best_of_turn();
    const double incumbent_mean = mean_of(incumbent);
    if (!best || best->second <= incumbent_mean) {
      end_turn();
      return std::nullopt;
    }
    const Choice challenger = with(*turn, best->first);
    const double n_challenger = double(runs_of(challenger));
    const double n_incumbent = double(runs_of(incumbent));
    const double standard_error = noise() * std::sqrt(1 / n_challenger + 1 / n_incumbent);
    if (best->second - incumbent_mean > options.accept_sigmas * standard_error) {
      accept(best->first);
      return std::nullopt;
    }
    if (n_challenger < options.confirm_limit) {
      phase = "confirming " + name_of(*turn);
      return challenger;
    }
    if (n_incumbent < n_challenger) return incumbent;
    end_turn();
    return std::nullopt;
  }

  Choice propose_exploring() {
    if (windows - last_incumbent_window >= options.refresh_every) return incumbent;
    for (;;) {
      if (!turn) {
        if (mode_ == Mode::quiet) return exploit();
        if (sweep.empty()) {
          if (accepted_in_sweep) {
            start_sweep(TurnMode::refine);
          } else {
            mode_ = Mode::quiet;
            quiet_gap = options.quiet_gap_min;
            return exploit();
          }
          if (sweep.empty()) continue;
        }
        begin_turn(sweep.front(), sweep_mode);
        sweep.pop_front();
      }
      if (const auto option = agents[*turn].next_probe()) return with(*turn, *option);
      if (auto challenger = decide()) return *challenger;
    }
  }

  Choice exploit() {
    phase = "exploiting";
    return incumbent;
  }

  Choice propose() {
    if (agents.empty()) {
      phase = "nothing to choose";
      return incumbent;
    }
    if (mode_ == Mode::warmup) {
      phase = "measuring the incumbent";
      if (runs_of(incumbent) < options.warmup_windows) return incumbent;
      start_sweep(sweeps == 0 ? TurnMode::full : TurnMode::refine);
      ++sweeps;
    }
    if (mode_ == Mode::quiet && !turn) {
      if (++quiet_wait < quiet_gap) return exploit();
      quiet_wait = 0;
      quiet_gap = std::min(quiet_gap * 2, options.quiet_gap_max);
      quiet_agent = (quiet_agent + 1) % agents.size();
      begin_turn(quiet_agent, TurnMode::refine);
    }
    return propose_exploring();
  }

  void observe(const Choice& ran, const Window& w, double reward) {
    ++windows;
    matrix.credit(ran, reward);
    const double value = value_of(reward, w);
    const DesignRecord before = memory.add(ran, value, w.seconds > 0 ? w.seconds : 1);
    if (before.value.pulls > 0)
      window.observe_repeat(before.value.last, before.last_seconds, value,
                            w.seconds > 0 ? w.seconds : 1);
    if (ran == incumbent) {
      observe_incumbent(w, value);
      return;
    }
    if (turn) {
      const std::size_t c = agents[*turn].component();
      if (ran.size() == incumbent.size() && with(*turn, ran[c]) == ran)
        agents[*turn].report(ran[c], mean_of(ran));
    }
  }

  void observe_incumbent(const Window& w, double value) {
    last_incumbent_window = windows;
    const std::vector<double> measured = latency_shares(w);
    if (measured.size() == shares.size() && w.entry.count > 0) shares = measured;
    window.set_resolution(options.resolution * std::max(1 - value, 1e-3));
    if (mode_ == Mode::warmup) return;
    if (change.update(value / noise())) shift();
  }

  // The environment changed under the incumbent: what was measured is stale.
  void shift() {
    ++shifts;
    memory.clear();
    change.reset();
    if (turn) end_turn();
    sweep.clear();
    mode_ = Mode::warmup;
    phase = "shift detected";
  }

  const DesignSpace& space;
  LearnerOptions options;
  std::mt19937_64 rng;
  std::vector<Agent> agents;  // one per component with a choice to make
  Choice incumbent;
  DesignMemory memory;
  ActionMatrix matrix;
  WindowController window;
  PageHinkley change;
  std::vector<double> shares;  // per component, from the incumbent's latest window

  Mode mode_ = Mode::warmup;
  std::deque<std::size_t> sweep;  // agents still to take a turn in this sweep
  TurnMode sweep_mode = TurnMode::full;
  bool accepted_in_sweep = false;
  std::optional<std::size_t> turn;  // the agent exploring now
  unsigned sweeps = 0;
  unsigned quiet_gap = 0;
  unsigned quiet_wait = 0;
  std::size_t quiet_agent = 0;
  std::uint64_t windows = 0;
  std::uint64_t last_incumbent_window = 0;
  std::uint64_t shifts = 0;
  std::string phase = "starting";
};

Learner::Learner(const DesignSpace& space, LearnerOptions options)
    : impl_(std::make_unique<Impl>(space, options)) {}

Learner::~Learner() = default;

Choice Learner::propose() {
  return impl_->propose();
}

double Learner::window_seconds() const {
  return impl_->window.seconds();
}

void Learner::observe(const Choice& ran, const Window& window, double reward) {
  impl_->observe(ran, window, reward);
}

Choice Learner::best() const {
  return impl_->incumbent;
}

std::string Learner::phase() const {
  return impl_->phase;
}

std::string Learner::matrix_csv() const {
  return impl_->matrix.csv();
}

std::string Learner::matrix_json() const {
  return impl_->matrix.json();
}

}  // namespace hatch
