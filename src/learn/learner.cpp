// The coordinator of the agents. See learner.hpp for the algorithm in brief and
// docs/learner.md for the reasons.
//
// Invariants: `incumbent` is always a valid choice with every component the space pins local
// and every component pin() holds at its option (best() likewise); at most one turn is open at a
// time, no agent of a pinned component has one, and every design an agent turn proposes differs
// from the incumbent in its crew's components only, no two of which call each other; every
// incumbent an agent turn accepts ran alone, differing from the incumbent before it in one
// component (a screen never crowns one); `memory` holds
// measurements of the current environment only (or of the one restore() was given). While quiet,
// quiet_probes <= exploration_budget * quiet_windows.
#include "learn/learner.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>

#include "hatch/error.hpp"
#include "learn/group_moves.hpp"
#include "learn/latency_shares.hpp"
#include "learn/learner_impl.hpp"

namespace hatch {

using learner_detail::is_agent;
using learner_detail::kGroup;
using learner_detail::kLead;
using learner_detail::Member;
using learner_detail::number;
using learner_detail::State;
using learner_detail::Turn;

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

}  // namespace

Learner::Impl::Impl(const DesignSpace& s, LearnerOptions o)
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
    if (!space.component(c).pinned && space.option_count(c) > 1) agents.emplace_back(space, c);
}

Choice Learner::Impl::with(std::size_t agent, OptionIndex option) const {
  Choice choice = incumbent;
  choice[agents[agent].component()] = option;
  return choice;
}

double Learner::Impl::mean_of(const Choice& choice) const {
  const DesignRecord* record = memory.find(choice);
  return record ? record->value.mean : 0.0;
}

std::uint64_t Learner::Impl::runs_of(const Choice& choice) const {
  const DesignRecord* record = memory.find(choice);
  return record ? record->value.pulls : 0;
}

double Learner::Impl::noise() const {
  const double floor = std::max(options.noise_floor, 1e-6 + 1e-4 * std::abs(mean_of(incumbent)));
  return std::max(window.has_noise_estimate() ? window.noise(window.seconds()) : 0.0, floor);
}

double Learner::Impl::standard_error(const Choice& design) const {
  return noise() * std::sqrt(1 / double(runs_of(design)) + 1 / double(runs_of(incumbent)));
}

bool Learner::Impl::clearly_better(const Choice& design) const {
  return mean_of(design) - mean_of(incumbent) > options.accept_sigmas * standard_error(design);
}

std::string Learner::Impl::name_of(std::size_t who) const {
  if (who == kGroup) return "group moves";
  if (who == kLead) return "the model's suggestions";
  std::string names = space.component(agents[who].component()).name;
  if (turn && turn->who == who)
    for (std::size_t i = 1; i < turn->crew.size(); ++i)
      names += ", " + space.component(agents[turn->crew[i].agent].component()).name;
  return names;
}

void Learner::Impl::start_sweep(TurnMode mode, bool by_inclusive) {
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

bool Learner::Impl::begin_turn(std::size_t who, TurnMode mode) {
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
    turn.emplace();
    turn->who = who;
    turn->began = windows;
    turn->moves.assign(moves.begin() + group_cursor, moves.begin() + end);
    group_cursor = end;
  } else {
    if (!may_explore(who, mode)) {
      if (!pins[agents[who].component()]) ++skipped_for_cost;
      return false;
    }
    turn.emplace();
    turn->who = who;
    turn->began = windows;
    turn->base = incumbent;
    turn->crew.emplace_back().agent = who;
    enlist_crew(mode);
    for (const Member& m : turn->crew) {
      const std::size_t c = agents[m.agent].component();
      agents[m.agent].begin_turn(incumbent[c], mean_of(incumbent), mode, noise());
    }
  }
  phase = "exploring " + name_of(who);
  return true;
}

void Learner::Impl::end_turn() {
  if (!is_agent(turn->who))
    near_misses.insert(near_misses.end(), turn->tried.begin(), turn->tried.end());
  else
    for (const Member& m : turn->crew) agents[m.agent].end_turn();
  turn.reset();
}

bool Learner::Impl::after_local_optimum() {
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
  const bool close = from && kicked.size() < options.max_kicks &&
                     mean_of(*from) >= mean_of(incumbent) - std::log1p(options.kick_tolerance);
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

void Learner::Impl::adopt(const Choice& design) {
  incumbent = design;
  accepted_in_sweep = true;
  last_incumbent_window = windows;
  if (state == State::quiet) start_sweep(TurnMode::refine);
  quiet_gap = options.quiet_gap_min;
}

std::optional<Choice> Learner::Impl::best_tried() const {
  std::optional<Choice> best;
  for (const Choice& design : turn->tried)
    if (runs_of(design) > 0 && (!best || mean_of(design) > mean_of(*best))) best = design;
  return best;
}

std::optional<Choice> Learner::Impl::next_probe() {
  if (turn->who == kLead) return next_suggestion();
  if (is_agent(turn->who)) {
    // Every member with a probe left moves at once. A probe already measured far below the
    // incumbent is reported from memory, not run.
    Choice design = incumbent;
    bool any = false;
    for (Member& m : turn->crew) {
      while (m.probing) {
        const auto option = agents[m.agent].next_probe();
        if (!option) {
          m.probing = false;
          break;
        }
        const Choice alone = with(m.agent, *option);
        if (known_far_worse(alone)) {
          agents[m.agent].report(*option, mean_of(alone));
          ++probes_skipped;
          continue;
        }
        if (const std::optional<double> loss = predicted_loss(alone, options.screen_loss)) {
          agents[m.agent].report(*option, mean_of(incumbent) - *loss);
          ++probes_screened;
          continue;
        }
        design[agents[m.agent].component()] = *option;
        any = true;
        break;
      }
    }
    if (!any) return std::nullopt;
    return design;
  }
  // A group move that is already clearly better ends the search: the moves are many, and
  // the agents' next sweep refines from there.
  const auto best = best_tried();
  if (best && incumbent_fresh() && clearly_better(*best)) turn->moves.clear();
  while (!turn->moves.empty()) {
    Choice design = std::move(turn->moves.front());
    turn->moves.pop_front();
    if (known_far_worse(design)) {
      ++probes_skipped;
    } else if (predicted_loss(design, std::min(options.screen_loss, options.resolution))) {
      ++probes_screened;
    } else {
      return design;
    }
  }
  return std::nullopt;
}

bool Learner::Impl::incumbent_fresh() const {
  return last_incumbent_window >= turn->began;
}

std::optional<Choice> Learner::Impl::decide() {
  if (is_agent(turn->who)) return decide_crew();
  const auto best = best_tried();
  if (!best || mean_of(*best) <= mean_of(incumbent)) {
    end_turn();
    return std::nullopt;
  }
  if (!incumbent_fresh()) return incumbent;
  if (clearly_better(*best)) {
    adopt(*best);
    // A lead turn goes on: the model suggests again from the new incumbent.
    if (turn->who != kLead) end_turn();
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

Choice Learner::Impl::propose_exploring() {
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
      // The model's suggestion, when it has one, comes before the next turn of the sweep.
      if (!begin_lead()) {
        const std::size_t who = sweep.front();
        sweep.pop_front();
        if (!begin_turn(who, sweep_mode)) continue;
      }
    }
    if (auto probe = next_probe()) {
      phase = "exploring " + name_of(turn->who);
      return *probe;
    }
    if (auto challenger = decide()) return *challenger;
  }
}

Choice Learner::Impl::exploit() {
  phase = "exploiting";
  return incumbent;
}

void Learner::Impl::become_quiet() {
  state = State::quiet;
  quiet_gap = options.quiet_gap_min;
  quiet_windows = 0;
  quiet_probes = 0;
}

Choice Learner::Impl::propose() {
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
    // The model's suggestion if it has one; else the agents in turn, then the group moves. A
    // turn that may not run passes to the next.
    begin_lead();
    for (std::size_t k = 0; k <= agents.size() && !turn; ++k) {
      quiet_turn = (quiet_turn + 1) % (agents.size() + 1);
      begin_turn(quiet_turn < agents.size() ? quiet_turn : kGroup, TurnMode::refine);
    }
  }
  // An open turn that would overdraw the budget waits, and the incumbent runs meanwhile.
  if (state == State::quiet && !within_budget()) return exploit();
  return propose_exploring();
}

void Learner::Impl::observe(const Choice& ran, const Window& w, double reward) {
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
  if (is_agent(turn->who)) {
    observe_crew(ran, w, value);
    return;
  }
  if (std::find(turn->tried.begin(), turn->tried.end(), ran) == turn->tried.end())
    turn->tried.push_back(ran);
}

void Learner::Impl::observe_incumbent(const Window& w) {
  last_incumbent_window = windows;
  remeasure = false;
  if (state == State::warmup) ++warmup_runs;
  if (w.components.size() == space.component_count() && w.entry.count > 0) {
    shares = latency_shares(w);
    incumbent_inclusive = inclusive_ms(w);
  }
  edges = w.edges;
  std::sort(edges.begin(), edges.end(), [](const EdgeWindow& a, const EdgeWindow& b) {
    return a.calls_per_s * a.latency_ms > b.calls_per_s * b.latency_ms;
  });
  window.set_resolution(options.resolution);
}

void Learner::Impl::shift() {
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

}  // namespace hatch
