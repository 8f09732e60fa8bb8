// The learner: one agent per component, each choosing its component's placement, coordinated so
// that their joint choice converges. It proposes the design for the next window, then observes
// the window that design produced and its reward. It sees only what perception sees.
//
//   Learner learner(space, {});
//   for (;;) {
//     Choice design = learner.propose();
//     Window w = run(design, learner.window_seconds());   // after the transition settled
//     learner.observe(design, w, reward(w.entry));
//   }
//
// How it works (docs/learner.md has the whole story):
//   - It keeps an incumbent design (all local at first) and lets one agent explore at a time:
//     the agent's probes change only its own component, so every comparison is between two
//     designs that differ in one place, and the joint design cannot thrash. Optionally a crew
//     of agents whose components do not call each other probe in the same windows, each
//     reading its share of them (crew.hpp); a probe is still accepted only once run alone.
//   - Agents search their options as a tree, kind -> count -> hosts (agent.hpp).
//   - A probe that beats the incumbent is re-measured until the gain exceeds the noise, then
//     becomes the incumbent. A sweep gives every agent whose component matters a turn, the
//     components with the largest share of the latency first; sweeps repeat until one changes
//     nothing. Then the learner exploits, probing now and then with exponentially spaced turns.
//   - With a model's suggestions (LearnerOptions::suggest), a lead turn comes before each turn
//     of a sweep while the model has one: it runs the designs the model predicts best, the
//     model refitted after each window.
//   - After each sweep the coordinator tries group moves that no single agent can make
//     (group_moves.hpp): busy pairs and subtrees moved together, host swaps and merges.
//   - At a local optimum it kicks: the agents search again from the group move that came
//     closest (or, once, from all local in another order), and the better of the two optima is
//     kept (iterated local search).
//   - Page-Hinkley watches how much each repeated measurement (the incumbent's above all)
//     surprises; a shift clears what was measured and starts a new sweep from the best design.
//   - The window grows when repeated measurements of one design disagree by more than the
//     differences that matter, and shrinks when they agree tightly.
//   - Once converged, exploration stays within a budget of the windows; a component can be
//     pinned by the program, and a component whose moves cost more than they can win is left
//     alone; memory() and restore() carry what was learned across a restart.
//
// Not thread-safe: one thread drives propose/observe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "design/design_space.hpp"
#include "learn/design_memory.hpp"
#include "learn/page_hinkley.hpp"
#include "learn/window_controller.hpp"
#include "perception/window.hpp"

namespace hatch {

struct LearnerOptions {
  // Breaks ties between components of equal latency share in the exploration order. The
  // learner is otherwise deterministic: the same windows give the same proposals.
  std::uint64_t seed = 1;
  // Windows the starting design runs before anyone explores: two give the first noise estimate.
  unsigned warmup_windows = 2;
  // A probe replaces the incumbent when its mean is this many standard errors better. Lower:
  // quicker, but noise can crown a design that is not better. 2 is one false step in ~40.
  double accept_sigmas = 2;
  // The least noise the learner assumes: the standard deviation of one window's value (a
  // relative difference of response times, see learner.cpp) is taken to be at least this. Repeats
  // of one design can agree more closely than a live system drifts between two designs' windows
  // (a device-bound design repeats to 0.5% while a CPU-bound one wanders by 5%); a floor keeps a
  // lucky window from crowning a design that is not better. 0 trusts the estimate alone, as a
  // simulation can.
  double noise_floor = 0;
  // A design measured in this environment whose value lies this far below the incumbent's (as a
  // relative latency: 0.25 is 25% slower) and more than accept_sigmas standard errors below it
  // is not probed again: its windows could only confirm the loss, at the price of a live
  // window run that much slower. 0 skips every design clearly worse than the incumbent.
  double known_loss = 0.25;
  // A prediction of a design's mean latency, such as a calibrated twin's (sim/twin.hpp), or
  // nothing when it cannot tell. When set, an agent's probe predicted more than screen_loss
  // slower than the incumbent's prediction (0.5: 50% slower) is not run: its agent is told the
  // incumbent's value less the predicted loss. A group move, a guess many moves wide, is passed
  // over when predicted slower by more than the resolution.
  std::function<std::optional<double>(const Choice&)> predict_ms = nullptr;
  double screen_loss = 0.5;
  // A design a model predicts clearly faster than the incumbent it is given, such as the best
  // design of a calibrated twin (sim/twin.hpp), or nothing. When set, the learner asks before
  // each turn of a sweep, and before each refinement turn once converged; a suggestion opens a
  // lead turn: it runs, the model learns from its window and suggests again, up to
  // `suggestions` designs, and the best of them is accepted as any group move is (clearly
  // better than the incumbent, confirmed if need be). A design that ran in this environment is
  // not suggested again. The agents then search from what the lead found.
  std::function<std::optional<Choice>(const Choice& incumbent)> suggest = nullptr;
  unsigned suggestions = 6;
  // The most agents that explore at once. Agents whose components do not call each other,
  // directly or through others (as the incumbent's edges show), probe in the same windows; each
  // reads its probe's value from such a window less the others' measured change (crew.hpp), and
  // its best probe runs alone before it is accepted. 1: one agent at a time.
  unsigned concurrent_agents = 1;
  // The most windows a promising probe gets to prove itself before it is given up.
  unsigned confirm_limit = 3;
  // During exploration the incumbent runs at least once every this many windows, so that a
  // shift is noticed mid-sweep and the comparisons stay fresh.
  unsigned refresh_every = 6;
  // Components whose inclusive share of the entry latency is below this are left alone after
  // the first sweep: no placement of a component that costs 0.5% of the latency, with all it
  // calls, can win 5% (latency_shares.hpp).
  double min_share = 0.005;
  // Once converged, a refinement turn runs after this many exploiting windows, doubling after
  // every turn that finds nothing, up to the maximum: exploration shrinks but never stops.
  unsigned quiet_gap_min = 4;
  unsigned quiet_gap_max = 32;
  // Once converged, the windows that run a design other than the incumbent (a refinement
  // turn's probes, its confirmations, group moves) stay within this fraction of the windows
  // since convergence: a turn that would overdraw it waits, and the incumbent runs meanwhile.
  // Counted from the moment the learner became quiet; the sweeps after a shift or an accepted
  // refinement are not limited. Lower: a converged system pays less for exploring, but a slow
  // drift is found later. 1 means no limit; 0 stops exploring once converged (a shift is still
  // found through the incumbent's windows). In [0, 1], else the constructor throws.
  double exploration_budget = 0.05;
  // Group moves (group_moves.hpp) tried per turn of the coordinator; the next group turn goes
  // on where the last one stopped while the incumbent stays the same. Pair moves follow the
  // `busy_edges` busiest edges of the incumbent's latest window.
  unsigned group_probes = 12;
  unsigned busy_edges = 3;
  // When the agents reach a local optimum, the best group move that came within this fraction
  // of the incumbent's latency becomes a kick: the agents search from it, and the result is
  // kept only if it beats the local optimum. 0 turns kicks off.
  double kick_tolerance = 0.15;
  // Kicks per environment at most. Each is a whole refine search from a worse design, run while
  // a live system has a good one: on the 50 random scenarios of `hatch sim --random 50`, one
  // kick ends as many scenarios within 5% of the optimum as unlimited kicks and a restart did,
  // with a third of the windows after convergence that run above 1.1x the optimum
  // (docs/learner.md, "Group moves and kicks").
  unsigned max_kicks = 1;
  // Once per environment, when no group move comes close, kick to the all-local design and
  // search again with the callers first: a second start for a second local optimum, at the
  // price of about one more first sweep. best() keeps the first optimum meanwhile. Off by
  // default for the same reason as max_kicks.
  bool restart = false;
  // Fed the incumbent's value in units of its noise, so the settings hold for any scenario.
  // A 4-sigma drop is caught in about 4 windows of the incumbent; the tolerance of one sigma
  // keeps a noise estimate that is somewhat low from raising false alarms.
  PageHinkleyOptions change{.delta = 1, .threshold = 12, .min_samples = 3};
  // The relative latency difference a window must resolve; the window controller sizes the
  // window so that its noise is `window.target_ratio` of it.
  double resolution = 0.02;
  WindowControllerOptions window{};
  // The seconds over which a move must pay for itself (see set_move_cost). A component's
  // inclusive share of the latency bounds the relative gain any placement of it can bring. In
  // refine mode (every sweep but an environment's first and its restart, and the refinement
  // turns once converged) an agent whose share cannot repay a move there and back over this
  // horizon (share * horizon_seconds < 2 * move cost) takes no turn, and a group move is tried
  // only if the shares of the components it changes, summed, repay their summed costs. Longer:
  // more moves are deemed worth trying; shorter: a live system is disturbed less, but a small
  // gain is never sought. 0 turns the rule off. At least 0, else the constructor throws.
  double horizon_seconds = 300;
};

// What a learner knows that is worth keeping across a restart of the program (memory() and
// restore()): the design it stood on, its best design, whether it had converged, its window
// length and its measurements of whole designs. The choices are indices into the design space
// the learner was made with: a caller that keeps them must map them onto the space it restores
// into (design_space.hpp).
struct LearnerMemory {
  Choice incumbent;
  Choice best;
  bool converged = false;
  double window_seconds = 0;  // 0: unknown, the window controller's initial length is kept
  std::vector<std::pair<Choice, DesignRecord>> designs;
};

class Learner {
 public:
  // `space` must outlive the learner. Throws UsageError naming the option when
  // `exploration_budget` lies outside [0, 1] or `horizon_seconds` is negative or not finite.
  Learner(const DesignSpace& space, LearnerOptions options);
  ~Learner();
  Learner(const Learner&) = delete;
  Learner& operator=(const Learner&) = delete;

  // The design to run for the next window.
  Choice propose();
  // How long the next window should be, in seconds of workload: longer when the reward is noisy.
  double window_seconds() const;
  // The window that `ran` produced, and its reward (higher is better, in [0, 1]).
  void observe(const Choice& ran, const Window& window, double reward);

  // The program ran designs the learner did not choose since its last window (a comparison,
  // an operator's override), perhaps while the workload changed: the incumbent is measured again
  // before anything is compared with it, and that measurement shows a shift if there was one.
  void interrupted();

  // Holds `component` at `option`, for an operator or a program that knows better (a component
  // that must stay near its data, a node being drained): the incumbent and best() keep it there,
  // its agent takes no turns, and no group move changes it. An open turn of that agent ends, and
  // the incumbent is measured again before anything is compared with it, since it may have
  // changed. Pins made before restore() apply to the restored design. Throws UsageError for a
  // component or option out of range, or a component the space pins already.
  void pin(std::size_t component, OptionIndex option);
  // Lets the agent of `component` take turns again; once converged, its refinement turn comes
  // next. A component that is not pinned is left as it is. Throws UsageError for a component out
  // of range.
  void unpin(std::size_t component);
  // Whether pin() holds `component` (the space's own pins are in DesignSpace::component());
  // false for a component out of range.
  bool pinned(std::size_t component) const;

  // The measured cost of moving `component`, in seconds of service lost (the pause plus the
  // settling); the live loop feeds it after each move, and the latest one counts. Every cost
  // starts at 0, so that a simulation's moves are free. Together with horizon_seconds it keeps
  // the learner from probing placements that cannot win back what the move costs. Throws
  // UsageError for a component out of range or a cost that is negative or not finite.
  void set_move_cost(std::size_t component, double seconds);
  // Turns the cost rule skipped: agents' turns, and group turns whose every move it dropped.
  std::uint64_t turns_skipped_for_cost() const;

  Choice best() const;             // the best design so far, by the learner's estimate
  Choice incumbent() const;        // the design the learner stands on now (best() is the
                                   // champion while a kick is explored)
  bool converged() const;          // exploiting: the searches ended, refinement turns remain
  std::uint64_t shifts() const;    // environment changes detected so far
  std::string phase() const;       // a word or two for a progress line: "exploring cache", ...
  std::string matrix_csv() const;  // the action/reward matrix: options per component, rewards
  std::string matrix_json() const;

  // What the learner knows now, to be given to restore() after a restart. A kick in progress is
  // not kept: `best` is its champion. A learner restored converged counts as converged through
  // its warmup, so that a second restart soon after the first does not search again.
  LearnerMemory memory() const;
  // Starts from what an earlier learner knew: its best design becomes the incumbent, its design
  // records the memory, its window length the window's (within the window controller's
  // bounds). The learner still measures that design for `warmup_windows` new windows first.
  // Then a learner restored converged exploits (within the exploration budget) instead of
  // searching again, and an unconverged one goes on with a refine sweep. If the environment
  // changed meanwhile, the design's windows surprise Page-Hinkley against the restored records
  // within a few windows of the warmup: a shift, and a full search as after any shift. Call it
  // on a fresh learner, before its first window. Throws UsageError, and changes nothing, when a
  // window was observed already, when a design does not fit the space (DesignSpace::check), or
  // for a window length that is negative or not finite.
  void restore(const LearnerMemory& memory);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hatch
