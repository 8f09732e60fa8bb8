// The learner's coordinator, Learner::Impl, shared by the learner's source files: the search
// itself (learner.cpp: sweeps, turns, kicks, proposing and observing), its crews
// (learner_crew.cpp: who explores together, screened windows, deciding each member), its lead
// turns (learner_lead.cpp: the designs a model suggests), the probes it does not run
// (learner_screen.cpp) and what steers it from outside (learner_control.cpp: pins, the
// move-cost rule, the exploration budget, memory and restore, the accessors). It exists so that
// all can define the coordinator's methods; it is private to src/learn and no other file
// includes it. learner.cpp has the invariants.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "design/design_space.hpp"
#include "learn/action_matrix.hpp"
#include "learn/agent.hpp"
#include "learn/design_memory.hpp"
#include "learn/latency_shares.hpp"
#include "learn/learner.hpp"
#include "learn/page_hinkley.hpp"
#include "learn/window_controller.hpp"
#include "perception/window.hpp"

namespace hatch {
namespace learner_detail {

inline std::string number(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

enum class State { warmup, sweep, quiet };

// Who explores in a turn: a crew of agents, the coordinator with its group moves, or the
// coordinator with a model's suggestions (a lead turn).
constexpr std::size_t kGroup = std::size_t(-1);
constexpr std::size_t kLead = std::size_t(-2);

inline bool is_agent(std::size_t who) {
  return who != kGroup && who != kLead;
}

// One agent of a crew.
struct Member {
  std::size_t agent = 0;
  bool probing = true;   // it may have probes left
  bool settled = false;  // its best probe was accepted or given up
  std::vector<OptionIndex> probed;
  std::vector<OptionIndex> rejected;  // ran alone and came out no better than the incumbent
};

// The mean of the screened values of one member's option (crew.hpp).
struct Screened {
  double sum = 0;
  unsigned count = 0;
};

struct Turn {
  std::size_t who = kGroup;  // kGroup, kLead, or the crew's first agent
  std::vector<Member> crew;  // agent turn: the agents exploring at once, `who` first
  Choice base;               // agent turn: the incumbent when it began; probes differ from it
  std::map<std::pair<std::size_t, OptionIndex>, Screened> screened;  // by (agent, option)
  std::deque<Choice> moves;   // group turn: the designs still to probe; lead turn: the first
  std::vector<Choice> tried;  // group or lead turn: the designs probed
  std::uint64_t began = 0;    // windows observed when it began
};

}  // namespace learner_detail

struct Learner::Impl {
  // learner.cpp: the search.
  Impl(const DesignSpace& s, LearnerOptions o);

  Choice with(std::size_t agent, OptionIndex option) const;
  // The turn's base design with `agent`'s component at `option`.
  Choice on_base(std::size_t agent, OptionIndex option) const;
  double mean_of(const Choice& choice) const;
  std::uint64_t runs_of(const Choice& choice) const;
  // The standard deviation of one window's value at the current length, never quite 0 so that
  // standardised values stay finite in a noiseless simulation.
  double noise() const;
  // The standard error of the difference between a design's mean and the incumbent's.
  double standard_error(const Choice& design) const;
  bool clearly_better(const Choice& design) const;
  // Whether `design` ran in this environment and came out clearly and far below the incumbent
  // (LearnerOptions::known_loss): another window of it could only confirm the loss.
  bool known_far_worse(const Choice& design) const;
  // The predicted loss of `design` against the incumbent, as a value difference (the log of
  // the latency ratio), when options.predict_ms says it is more than `limit` (a relative
  // latency) slower.
  std::optional<double> predicted_loss(const Choice& design, double limit) const;
  std::string name_of(std::size_t who) const;

  // A sweep: every agent whose component matters, the largest self share of the latency first,
  // then the group moves. `by_inclusive` orders by inclusive shares instead, which puts the callers
  // first: the search of a restart, which must not retrace the first one.
  void start_sweep(TurnMode mode, bool by_inclusive = false);
  // Opens a turn, unless the agent's component is pinned or, in refine mode, no move of the
  // turn could pay for itself (a group turn keeps the moves that can). Returns whether it did.
  bool begin_turn(std::size_t who, TurnMode mode);
  // Whether the agent may take a turn in this mode: its component is not pinned and, in refine
  // mode, a move of it could pay for itself.
  bool may_explore(std::size_t agent, TurnMode mode) const;
  // Up to `concurrent_agents` - 1 more agents from the sweep, which leave it, whose components
  // interact neither with `who`'s nor with each other's (crew.hpp).
  void enlist_crew(TurnMode mode);
  // Whether an agent of the open turn owns component `c`; its crew index if so.
  std::optional<std::size_t> member_for(std::size_t c) const;
  // The option of `m` with the largest gain over the turn's base, measured alone if it ran
  // alone, else screened; none if no option gains.
  std::optional<OptionIndex> best_gain(const learner_detail::Member& m) const;
  void observe_crew(const Choice& ran, const Window& w, double value);
  // The members in turn, each one's best probe alone: the design to run, or none when the turn
  // ended.
  std::optional<Choice> decide_crew();
  void end_turn();
  // A sweep changed nothing: the incumbent is a local optimum. If it was reached from a kick,
  // it is kept only if it clearly beats the design the kick left (the champion). Then, if a
  // group move came close to the incumbent, the learner kicks: that move becomes the
  // incumbent and the agents search from there, while best() stays the champion (iterated
  // local search). Once per environment, when no group move came close, the kick is a
  // restart: a new search from the all-local design with the callers first. Returns false when
  // there is nothing left to kick from.
  bool after_local_optimum();
  // `design` becomes the incumbent; the open turn goes on.
  void adopt(const Choice& design);
  std::optional<Choice> best_tried() const;
  // The next design the turn wants measured, if it has one left.
  std::optional<Choice> next_probe();
  // learner_lead.cpp: the model's suggestion, when it has one worth running: not the
  // incumbent, not run in the open turn, not known far worse, within the pins and, in refine
  // mode, worth its moves.
  std::optional<Choice> suggestion() const;
  // The lead turn's next design: a suggestion, while the turn has run fewer than
  // options.suggestions.
  std::optional<Choice> next_suggestion();
  // Opens a lead turn when the model has a suggestion, which the turn runs first; returns
  // whether it did.
  bool begin_lead();
  // Whether the incumbent was measured since the turn began, so that the turn's probes are
  // compared with a measurement of the same environment. The program may have run other
  // designs, or its workload may have shifted, between turns: a stale incumbent would crown any
  // probe that merely ran in better times, before a repeat could show the shift.
  bool incumbent_fresh() const;
  // The turn has nothing left to probe: accept its best design, give it another window to
  // prove itself (returned), or end the turn.
  std::optional<Choice> decide();
  Choice propose_exploring();
  Choice exploit();
  // Converged: from now on the exploration budget counts.
  void become_quiet();
  Choice propose();
  void observe(const Choice& ran, const Window& w, double reward);
  void observe_incumbent(const Window& w);
  // The environment changed under the incumbent: what was measured is stale.
  void shift();

  // learner_control.cpp: what steers the search from outside.
  void apply_pins(Choice& choice) const;
  bool keeps_pins(const Choice& choice) const;
  // Whether moving components whose inclusive latency shares add up to `share` can win back,
  // over the horizon, moves there and back that cost `cost` seconds: the share bounds the
  // relative gain of any placement of them.
  bool repays(double share, double cost) const;
  bool worth_moving(const Choice& design) const;
  // Whether the quiet learner may run one more design other than the incumbent now.
  bool within_budget() const;
  void pin(std::size_t c, OptionIndex option);
  void unpin(std::size_t c);
  void restore(const LearnerMemory& m);

  const DesignSpace& space;
  LearnerOptions options;
  std::mt19937_64 rng;
  std::vector<Agent> agents;  // one per component with a choice to make
  Choice incumbent;
  DesignMemory memory;
  ActionMatrix matrix;
  WindowController window;
  PageHinkley change;
  LatencyShares shares;                     // per component, from the incumbent's latest window
  std::vector<double> incumbent_inclusive;  // likewise, inclusive_ms; empty until measured
  std::vector<EdgeWindow> edges;            // likewise, the busiest first
  std::optional<Choice> champion;           // the best design while a kick is explored
  std::vector<Choice> near_misses;          // group moves tried since the last local optimum
  std::set<Choice> kicked;                  // designs already kicked to in this environment
  bool restarted = false;                   // whether this environment had its restart
  Choice group_for;                         // the incumbent the group cursor belongs to
  std::size_t group_cursor = 0;             // the next group move to try

  learner_detail::State state = learner_detail::State::warmup;
  std::deque<std::size_t> sweep;  // turns still to come in this sweep (kLead, agents, kGroup)
  TurnMode sweep_mode = TurnMode::full;
  bool accepted_in_sweep = false;
  std::optional<learner_detail::Turn> turn;  // who explores now, and what it tried
  unsigned quiet_gap = 0;
  unsigned quiet_wait = 0;
  std::size_t quiet_turn = 0;
  std::uint64_t windows = 0;
  std::uint64_t last_incumbent_window = 0;
  bool remeasure = false;  // the incumbent changed, or was interrupted, since it was measured
  std::uint64_t shifts = 0;
  std::string phase = "starting";

  std::vector<std::optional<OptionIndex>> pins;  // per component, the option pin() holds
  std::vector<double> move_cost;                 // per component, seconds (set_move_cost)
  std::uint64_t skipped_for_cost = 0;
  std::uint64_t probes_skipped = 0;   // probes known far worse, not run (known_far_worse)
  std::uint64_t probes_screened = 0;  // probes predicted far worse, not run (predicted_loss)
  // Since the learner last became quiet: windows, and windows of other designs than the
  // incumbent (the exploration budget's account).
  std::uint64_t quiet_windows = 0;
  std::uint64_t quiet_probes = 0;
  unsigned warmup_runs = 0;      // windows of the incumbent in this warmup
  std::optional<bool> restored;  // restore() ran: whether it had converged, until warmup ends
};

}  // namespace hatch
