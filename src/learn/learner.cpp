// The coordinator of the agents. See learner.hpp for the algorithm in brief and
// docs/learner.md for the reasons.
//
// Invariants: `incumbent` is always a valid choice with every component the space pins local
// and every component pin() holds at its option (best() likewise); at most one turn is open at a
// time, no agent of a pinned component has one, and every design an agent's turn proposes
// differs from the incumbent in that agent's component only; `memory` holds measurements of the
// current environment only (or of the one restore() was given). While quiet, quiet_probes <=
// exploration_budget * quiet_windows.
#include "learn/learner.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "hatch/error.hpp"
#include "learn/action_matrix.hpp"
#include "learn/agent.hpp"
#include "learn/design_memory.hpp"
#include "learn/group_moves.hpp"
#include "learn/latency_shares.hpp"

namespace hatch {
namespace {

std::string number(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

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
               std::vector<double>(s.component_count(), 1.0)},
        pins(s.component_count()),
        move_cost(s.component_count(), 0.0) {
    if (!(o.exploration_budget >= 0 && o.exploration_budget <= 1))
      throw UsageError("LearnerOptions::exploration_budget must lie in [0, 1], not " +
                       number(o.exploration_budget));
    if (!(std::isfinite(o.horizon_seconds) && o.horizon_seconds >= 0))
      throw UsageError(
          "LearnerOptions::horizon_seconds must be 0 (off) or a number of seconds, not " +
          number(o.horizon_seconds));
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

  void apply_pins(Choice& choice) const {
    for (std::size_t c = 0; c < pins.size(); ++c)
      if (pins[c]) choice[c] = *pins[c];
  }
  bool keeps_pins(const Choice& choice) const {
    for (std::size_t c = 0; c < pins.size(); ++c)
      if (pins[c] && choice[c] != *pins[c]) return false;
    return true;
  }
  // Whether moving components whose inclusive latency shares add up to `share` can win back,
  // over the horizon, moves there and back that cost `cost` seconds: the share bounds the
  // relative gain of any placement of them.
  bool repays(double share, double cost) const {
    return options.horizon_seconds <= 0 || share * options.horizon_seconds >= 2 * cost;
  }
  bool worth_moving(const Choice& design) const {
    double share = 0, cost = 0;
    for (std::size_t c = 0; c < design.size(); ++c)
      if (design[c] != incumbent[c]) {
        share += shares.inclusive[c];
        cost += move_cost[c];
      }
    return repays(share, cost);
  }
  // Whether the quiet learner may run one more design other than the incumbent now.
  bool within_budget() const {
    return double(quiet_probes + 1) <= options.exploration_budget * double(quiet_windows + 1);
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

  // Opens a turn, unless the agent's component is pinned or, in refine mode, no move of the
  // turn could pay for itself (a group turn keeps the moves that can). Returns whether it did.
  bool begin_turn(std::size_t who, TurnMode mode) {
    if (who == kGroup) {
      if (group_for != incumbent) {
        group_for = incumbent;
        group_cursor = 0;
      }
      std::vector<Choice> moves = group_moves(agents, incumbent, edges, options.busy_edges);
      std::erase_if(moves, [&](const Choice& move) { return !keeps_pins(move); });
      const bool any = !moves.empty();
      if (mode == TurnMode::refine)
        std::erase_if(moves, [&](const Choice& move) { return !worth_moving(move); });
      if (any && moves.empty()) {
        ++skipped_for_cost;
        return false;
      }
      if (group_cursor >= moves.size()) group_cursor = 0;
      const std::size_t end = std::min(moves.size(), group_cursor + options.group_probes);
      turn = Turn{.who = who, .moves = {}, .tried = {}, .began = windows};
      turn->moves.assign(moves.begin() + group_cursor, moves.begin() + end);
      group_cursor = end;
    } else {
      const std::size_t c = agents[who].component();
      if (pins[c]) return false;
      if (mode == TurnMode::refine && !repays(shares.inclusive[c], move_cost[c])) {
        ++skipped_for_cost;
        return false;
      }
      turn = Turn{.who = who, .moves = {}, .tried = {}, .began = windows};
      agents[who].begin_turn(incumbent[c], mean_of(incumbent), mode, noise());
    }
    phase = "exploring " + name_of(who);
    return true;
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
      apply_pins(incumbent);
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
            become_quiet();
            return exploit();
          }
        }
        const std::size_t who = sweep.front();
        sweep.pop_front();
        if (!begin_turn(who, sweep_mode)) continue;
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

  // Converged: from now on the exploration budget counts.
  void become_quiet() {
    state = State::quiet;
    quiet_gap = options.quiet_gap_min;
    quiet_windows = 0;
    quiet_probes = 0;
  }

  Choice propose() {
    if (agents.empty()) {
      phase = "nothing to choose";
      return incumbent;
    }
    if (state == State::warmup) {
      phase = "measuring the incumbent";
      if (warmup_runs < options.warmup_windows) return incumbent;
      // A restored learner goes on where it stopped: a converged one exploits, an unconverged
      // one refines from its design. Otherwise the environment is new: a full sweep.
      if (!restored)
        start_sweep(TurnMode::full);
      else if (*restored)
        become_quiet();
      else
        start_sweep(TurnMode::refine);
      restored.reset();
    }
    if (state == State::quiet && !turn) {
      if (++quiet_wait < quiet_gap) return exploit();
      quiet_wait = 0;
      quiet_gap = std::min(quiet_gap * 2, options.quiet_gap_max);
      // The agents in turn, then the group moves; a turn that may not run passes to the next.
      for (std::size_t k = 0; k <= agents.size() && !turn; ++k) {
        quiet_turn = (quiet_turn + 1) % (agents.size() + 1);
        begin_turn(quiet_turn < agents.size() ? quiet_turn : kGroup, TurnMode::refine);
      }
    }
    // An open turn that would overdraw the budget waits, and the incumbent runs meanwhile.
    if (state == State::quiet && !within_budget()) return exploit();
    return propose_exploring();
  }

  void observe(const Choice& ran, const Window& w, double reward) {
    ++windows;
    if (state == State::quiet) {
      ++quiet_windows;
      quiet_probes += ran != incumbent;
    }
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
    if (state == State::warmup) ++warmup_runs;
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
    warmup_runs = 0;
    phase = "shift detected";
  }

  void pin(std::size_t c, std::uint32_t option) {
    if (c >= space.component_count())
      throw UsageError("Learner::pin: no component " + std::to_string(c) + " (the space has " +
                       std::to_string(space.component_count()) + ")");
    const std::string& name = space.component(c).name;
    if (space.component(c).pinned)
      throw UsageError("Learner::pin: the design space pins '" + name + "' already");
    if (option >= space.options(c).size())
      throw UsageError("Learner::pin: '" + name + "' has no option " + std::to_string(option) +
                       " (it has " + std::to_string(space.options(c).size()) + ")");
    pins[c] = option;
    const bool moved = incumbent[c] != option;
    incumbent[c] = option;
    if (champion) (*champion)[c] = option;
    // A turn of that agent ends, and so does any turn whose designs could break the pin: one
    // measured against the incumbent before the pin moved it, or a group turn.
    if (turn && (moved || turn->who == kGroup || agents[turn->who].component() == c)) end_turn();
    std::erase_if(near_misses, [&](const Choice& design) { return !keeps_pins(design); });
    remeasure = true;
  }

  void unpin(std::size_t c) {
    if (c >= space.component_count())
      throw UsageError("Learner::unpin: no component " + std::to_string(c) + " (the space has " +
                       std::to_string(space.component_count()) + ")");
    if (!pins[c]) return;
    pins[c].reset();
    if (state != State::quiet) return;
    // Its refinement turn comes next: right away, or after the turn that is open.
    for (std::size_t a = 0; a < agents.size(); ++a)
      if (agents[a].component() == c) {
        quiet_turn = (a + agents.size()) % (agents.size() + 1);
        quiet_wait = quiet_gap;
      }
  }

  void restore(const LearnerMemory& m) {
    if (windows > 0)
      throw UsageError(
          "Learner::restore: the learner has observed windows already; restore a "
          "fresh one");
    const auto check = [&](const Choice& choice, const std::string& what) {
      try {
        space.check(choice);
      } catch (const UsageError& e) {
        throw UsageError("Learner::restore: " + what + ": " + e.what());
      }
    };
    check(m.incumbent, "the incumbent");
    check(m.best, "the best design");
    for (const auto& [choice, record] : m.designs) check(choice, "a remembered design");
    if (!(std::isfinite(m.window_seconds) && m.window_seconds >= 0))
      throw UsageError(
          "Learner::restore: the window length must be 0 (unknown) or a number of "
          "seconds, not " +
          number(m.window_seconds));
    incumbent = m.best;
    apply_pins(incumbent);
    memory.clear();
    for (const auto& [choice, record] : m.designs)
      if (record.value.pulls > 0) memory.set(choice, record);
    if (m.window_seconds > 0) window.set_seconds(m.window_seconds);
    // The records stand for windows that agreed with their means: Page-Hinkley starts as if it
    // had read surprises of 0, so that a design that runs differently now shows as a change of
    // the stream, which is what it detects, rather than as the level the stream starts at.
    for (std::uint64_t k = 0; k < options.change.min_samples; ++k) change.update(0);
    restored = m.converged;
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

  std::vector<std::optional<std::uint32_t>> pins;  // per component, the option pin() holds
  std::vector<double> move_cost;                   // per component, seconds (set_move_cost)
  std::uint64_t skipped_for_cost = 0;
  // Since the learner last became quiet: windows, and windows of other designs than the
  // incumbent (the exploration budget's account).
  std::uint64_t quiet_windows = 0;
  std::uint64_t quiet_probes = 0;
  unsigned warmup_runs = 0;      // windows of the incumbent in this warmup
  std::optional<bool> restored;  // restore() ran: whether it had converged, until warmup ends
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

void Learner::pin(std::size_t component, std::uint32_t option) {
  impl_->pin(component, option);
}

void Learner::unpin(std::size_t component) {
  impl_->unpin(component);
}

bool Learner::pinned(std::size_t component) const {
  return component < impl_->pins.size() && impl_->pins[component].has_value();
}

void Learner::set_move_cost(std::size_t component, double seconds) {
  if (component >= impl_->move_cost.size())
    throw UsageError("Learner::set_move_cost: no component " + std::to_string(component) +
                     " (the space has " + std::to_string(impl_->move_cost.size()) + ")");
  if (!(std::isfinite(seconds) && seconds >= 0))
    throw UsageError(
        "Learner::set_move_cost: a cost must be a number of seconds, at least 0, not " +
        number(seconds));
  impl_->move_cost[component] = seconds;
}

std::uint64_t Learner::turns_skipped_for_cost() const {
  return impl_->skipped_for_cost;
}

Choice Learner::best() const {
  return impl_->champion.value_or(impl_->incumbent);
}

Choice Learner::incumbent() const {
  return impl_->incumbent;
}

bool Learner::converged() const {
  return impl_->state == State::quiet;
}

std::uint64_t Learner::shifts() const {
  return impl_->shifts;
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

LearnerMemory Learner::memory() const {
  LearnerMemory m{.incumbent = impl_->incumbent,
                  .best = best(),
                  .converged = converged() || impl_->restored.value_or(false),
                  .window_seconds = impl_->window.seconds(),
                  .designs = {}};
  for (const auto& [choice, record] : impl_->memory.records())
    m.designs.emplace_back(choice, record);
  return m;
}

void Learner::restore(const LearnerMemory& memory) {
  impl_->restore(memory);
}

}  // namespace hatch
