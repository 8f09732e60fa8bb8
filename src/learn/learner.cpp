// The coordinator of the agents. See learner.hpp for the algorithm in brief and
// docs/learner.md for the reasons.
//
// Invariants: `incumbent` is always a valid choice with every pinned component local; at most
// one turn is open at a time, and every design an agent's turn proposes differs from the
// incumbent in that agent's component only; `memory` holds measurements of the current
// environment only.
#include "learn/learner.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>
#include <optional>
#include <random>
#include <set>

#include "learn/action_matrix.hpp"
#include "learn/agent.hpp"
#include "learn/design_memory.hpp"
#include "learn/group_moves.hpp"
#include "learn/latency_shares.hpp"

namespace hatch {
namespace {

// What the learner maximises: -ln(1 - reward), which orders designs as the reward does but on a
// scale where a difference is a ratio. With the default reward, 1 - reward is rt / cap, so a
// difference of values is a relative difference of response times (0.02 is 2%) whether
// requests take 30 ms or 0.3 ms: the noise and the gains the learner compares keep their
// meaning when a workload shift makes every design ten times faster. When the reward is 0
// because the latency is past the cap, it is a negative number that still prefers the faster
// design, so that a learner starting far from any good design is not blind.
double value_of(double reward, const Window& window) {
  if (reward > 0) return -std::log(std::max(1 - reward, 1e-9));
  const double ms = std::max(window.entry.mean_ms, 0.0);
  return -ms / (ms + 100);
}

enum class State { warmup, sweep, quiet };

// Who explores in a turn: one agent, or the coordinator with its group moves.
constexpr std::size_t kGroup = std::size_t(-1);

struct Turn {
  std::size_t who = kGroup;  // an agent's index, or kGroup
  std::deque<Choice> moves;  // group turn: the designs still to probe
  std::vector<Choice> tried;
  std::uint64_t began = 0;  // windows observed when it began
};

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
        shares{std::vector<double>(s.component_count(), 1.0),
               std::vector<double>(s.component_count(), 1.0)} {
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
    const double floor = std::max(options.noise_floor, 1e-6 + 1e-4 * std::abs(mean_of(incumbent)));
    return std::max(window.has_noise_estimate() ? window.noise(window.seconds()) : 0.0, floor);
  }
  // The standard error of the difference between a design's mean and the incumbent's.
  double standard_error(const Choice& design) const {
    return noise() * std::sqrt(1 / double(runs_of(design)) + 1 / double(runs_of(incumbent)));
  }
  bool clearly_better(const Choice& design) const {
    return mean_of(design) - mean_of(incumbent) > options.accept_sigmas * standard_error(design);
  }
  std::string name_of(std::size_t who) const {
    return who == kGroup ? "group moves" : space.component(agents[who].component()).name;
  }

  // A sweep: every agent whose component matters, the largest self share of the latency first,
  // then the group moves. `by_inclusive` orders by inclusive shares instead, which puts the callers
  // first: the search of a restart, which must not retrace the first one.
  void start_sweep(TurnMode mode, bool by_inclusive = false) {
    std::vector<std::size_t> order(agents.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    const std::vector<double>& key = by_inclusive ? shares.inclusive : shares.self;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return key[agents[a].component()] > key[agents[b].component()];
    });
    sweep.assign(order.begin(), order.end());
    if (mode == TurnMode::refine)
      std::erase_if(sweep, [&](std::size_t a) {
        return shares.inclusive[agents[a].component()] < options.min_share;
      });
    sweep.push_back(kGroup);
    sweep_mode = mode;
    accepted_in_sweep = false;
    state = State::sweep;
  }

  void begin_turn(std::size_t who, TurnMode mode) {
    turn = Turn{.who = who, .moves = {}, .tried = {}, .began = windows};
    phase = "exploring " + name_of(who);
    if (who == kGroup) {
      if (group_for != incumbent) {
        group_for = incumbent;
        group_cursor = 0;
      }
      const std::vector<Choice> moves = group_moves(agents, incumbent, edges, options.busy_edges);
      if (group_cursor >= moves.size()) group_cursor = 0;
      const std::size_t end = std::min(moves.size(), group_cursor + options.group_probes);
      turn->moves.assign(moves.begin() + group_cursor, moves.begin() + end);
      group_cursor = end;
      return;
    }
    agents[who].begin_turn(incumbent[agents[who].component()], mean_of(incumbent), mode, noise());
  }

  void end_turn() {
    if (turn->who == kGroup)
      near_misses.insert(near_misses.end(), turn->tried.begin(), turn->tried.end());
    else
      agents[turn->who].end_turn();
    turn.reset();
  }

  // A sweep changed nothing: the incumbent is a local optimum. If it was reached from a kick,
  // it is kept only if it clearly beats the design the kick left (the champion). Then, if a
  // group move came close to the incumbent, the learner kicks: that move becomes the
  // incumbent and the agents search from there, while best() stays the champion (iterated
  // local search). Once per environment, when no group move came close, the kick is a
  // restart: a new search from the all-local design with the callers first. Returns false when
  // there is nothing left to kick from.
  bool after_local_optimum() {
    if (champion) {
      const double se =
          noise() * std::sqrt(1 / double(runs_of(incumbent)) + 1 / double(runs_of(*champion)));
      if (mean_of(incumbent) - mean_of(*champion) <= options.accept_sigmas * se)
        incumbent = *champion;
      champion.reset();
    }
    std::optional<Choice> from;
    for (const Choice& design : near_misses)
      if (design != incumbent && !kicked.count(design) && runs_of(design) > 0 &&
          (!from || mean_of(design) > mean_of(*from)))
        from = design;
    near_misses.clear();
    const bool close =
        from && mean_of(*from) >= mean_of(incumbent) - std::log1p(options.kick_tolerance);
    if (!close && (restarted || !options.restart)) return false;
    champion = incumbent;
    if (close) {
      kicked.insert(*from);
      incumbent = *from;
      start_sweep(TurnMode::refine);
    } else {
      restarted = true;
      incumbent.assign(incumbent.size(), 0);
      start_sweep(TurnMode::full, true);
    }
    remeasure = true;  // before anyone compares with the new incumbent
    return true;
  }

  void accept(const Choice& design) {
    incumbent = design;
    accepted_in_sweep = true;
    last_incumbent_window = windows;
    end_turn();
    if (state == State::quiet) start_sweep(TurnMode::refine);
    quiet_gap = options.quiet_gap_min;
  }

  std::optional<Choice> best_tried() const {
    std::optional<Choice> best;
    for (const Choice& design : turn->tried)
      if (runs_of(design) > 0 && (!best || mean_of(design) > mean_of(*best))) best = design;
    return best;
  }

  // The next design the turn wants measured, if it has one left.
  std::optional<Choice> next_probe() {
    if (turn->who != kGroup) {
      const auto option = agents[turn->who].next_probe();
      if (!option) return std::nullopt;
      return with(turn->who, *option);
    }
    // A group move that is already clearly better ends the search: the moves are many, and
    // the agents' next sweep refines from there.
    const auto best = best_tried();
    if (best && incumbent_fresh() && clearly_better(*best)) turn->moves.clear();
    if (turn->moves.empty()) return std::nullopt;
    Choice design = std::move(turn->moves.front());
    turn->moves.pop_front();
    return design;
  }

  // Whether the incumbent was measured since the turn began, so that the turn's probes are
  // compared with a measurement of the same environment. The program may have run other
  // designs, or its workload may have shifted, between turns: a stale incumbent would crown any
  // probe that merely ran in better times, before a repeat could show the shift.
  bool incumbent_fresh() const { return last_incumbent_window > turn->began; }

  // The turn has nothing left to probe: accept its best design, give it another window to
  // prove itself (returned), or end the turn.
  std::optional<Choice> decide() {
    const auto best = best_tried();
    if (!best || mean_of(*best) <= mean_of(incumbent)) {
      end_turn();
      return std::nullopt;
    }
    if (!incumbent_fresh()) return incumbent;
    if (clearly_better(*best)) {
      accept(*best);
      return std::nullopt;
    }
    if (runs_of(*best) < options.confirm_limit) {
      phase = "confirming " + name_of(turn->who);
      return *best;
    }
    if (runs_of(incumbent) < runs_of(*best)) return incumbent;
    end_turn();
    return std::nullopt;
  }

  Choice propose_exploring() {
    if (remeasure || windows - last_incumbent_window >= options.refresh_every) {
      phase = "measuring the incumbent";
      return incumbent;
    }
    for (;;) {
      if (!turn) {
        if (state == State::quiet) return exploit();
        if (sweep.empty()) {
          if (accepted_in_sweep) {
            start_sweep(TurnMode::refine);
          } else if (!after_local_optimum()) {
            state = State::quiet;
            quiet_gap = options.quiet_gap_min;
            return exploit();
          }
        }
        begin_turn(sweep.front(), sweep_mode);
        sweep.pop_front();
      }
      if (auto probe = next_probe()) {
        phase = "exploring " + name_of(turn->who);
        return *probe;
      }
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
    if (state == State::warmup) {
      phase = "measuring the incumbent";
      if (runs_of(incumbent) < options.warmup_windows) return incumbent;
      start_sweep(TurnMode::full);
    }
    if (state == State::quiet && !turn) {
      if (++quiet_wait < quiet_gap) return exploit();
      quiet_wait = 0;
      quiet_gap = std::min(quiet_gap * 2, options.quiet_gap_max);
      // The agents in turn, then the group moves.
      quiet_turn = (quiet_turn + 1) % (agents.size() + 1);
      begin_turn(quiet_turn < agents.size() ? quiet_turn : kGroup, TurnMode::refine);
    }
    return propose_exploring();
  }

  void observe(const Choice& ran, const Window& w, double reward) {
    ++windows;
    matrix.credit(ran, reward);
    const double value = value_of(reward, w);
    const double seconds = w.seconds > 0 ? w.seconds : 1;
    const DesignRecord before = memory.add(ran, value, seconds);
    if (before.value.pulls > 0) {
      // Page-Hinkley reads each repeat's surprise: how far it lies from what the design earned
      // before, in units of its standard deviation. That keeps its meaning while the window
      // length, and with it the noise, changes, and across designs, so one stream serves them
      // all (the incumbent most of all) and a shift shows as a jump from surprises around 0.
      // The surprise is read against the noise known before this window, so that a shift does
      // not pass for noise.
      const double n = double(before.value.pulls);
      const double surprise = (value - before.value.mean) / (noise() * std::sqrt(1 + 1 / n));
      if (state != State::warmup && change.update(surprise)) {
        shift();
        return;
      }
      window.observe_repeat(before.value.last, before.last_seconds, value, seconds);
    }
    if (ran == incumbent) {
      observe_incumbent(w);
      return;
    }
    if (!turn || ran.size() != incumbent.size()) return;
    if (turn->who != kGroup) {
      // Only a design that differs from the incumbent in this agent's component is its probe.
      const std::size_t c = agents[turn->who].component();
      if (with(turn->who, ran[c]) != ran) return;
      agents[turn->who].report(ran[c], mean_of(ran));
    }
    if (std::find(turn->tried.begin(), turn->tried.end(), ran) == turn->tried.end())
      turn->tried.push_back(ran);
  }

  void observe_incumbent(const Window& w) {
    last_incumbent_window = windows;
    remeasure = false;
    if (w.components.size() == space.component_count() && w.entry.count > 0)
      shares = latency_shares(w);
    edges = w.edges;
    std::sort(edges.begin(), edges.end(), [](const EdgeWindow& a, const EdgeWindow& b) {
      return a.calls_per_s * a.latency_ms > b.calls_per_s * b.latency_ms;
    });
    window.set_resolution(options.resolution);
  }

  // The environment changed under the incumbent: what was measured is stale.
  void shift() {
    ++shifts;
    memory.clear();
    change.reset();
    if (turn) end_turn();
    sweep.clear();
    near_misses.clear();
    kicked.clear();
    restarted = false;
    if (champion) incumbent = *champion;
    champion.reset();
    state = State::warmup;
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
  LatencyShares shares;             // per component, from the incumbent's latest window
  std::vector<EdgeWindow> edges;    // likewise, the busiest first
  std::optional<Choice> champion;   // the best design while a kick is explored
  std::vector<Choice> near_misses;  // group moves tried since the last local optimum
  std::set<Choice> kicked;          // designs already kicked to in this environment
  bool restarted = false;           // whether this environment had its restart
  Choice group_for;                 // the incumbent the group cursor belongs to
  std::size_t group_cursor = 0;     // the next group move to try

  State state = State::warmup;
  std::deque<std::size_t> sweep;  // turns still to come in this sweep (agents, then kGroup)
  TurnMode sweep_mode = TurnMode::full;
  bool accepted_in_sweep = false;
  std::optional<Turn> turn;  // who explores now, and what it tried
  unsigned quiet_gap = 0;
  unsigned quiet_wait = 0;
  std::size_t quiet_turn = 0;
  std::uint64_t windows = 0;
  std::uint64_t last_incumbent_window = 0;
  bool remeasure = false;  // the incumbent changed, or was interrupted, since it was measured
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

void Learner::interrupted() {
  impl_->remeasure = true;
}

Choice Learner::best() const {
  return impl_->champion.value_or(impl_->incumbent);
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
