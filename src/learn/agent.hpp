// One component's agent: it chooses that component's placement. During its turn every other
// component holds the incumbent design, so the agent's probes compare its own options only.
//
// It searches the option tree (option_tree.hpp) level by level instead of as a flat list:
//   1. one host: local and on(h) for every host, which ranks the hosts for this component;
//   2. sets (if its kind allows them): grown greedily along that ranking, two hosts, three, ...
//      and stopped as soon as one more host stops helping;
//   3. later turns only refine: the best-ranked single hosts, the incumbent's neighbours in the
//      tree (the best missing host or the origin added, the worst host swapped for the best
//      missing one, each member dropped, the worst-ranked first) and the best options of its
//      previous turn.
// So the ranking learnt from n + 1 probes is shared by every set of every count, and a turn
// costs about 2n probes (first) or 5 plus the set's size (later) rather than 2^(n+1).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "learn/option_tree.hpp"

namespace hatch {

enum class TurnMode {
  full,    // rank every host, then grow sets
  refine,  // neighbours of the incumbent and the best options known
};

class Agent {
 public:
  Agent(const DesignSpace& space, std::size_t component);

  std::size_t component() const { return component_; }
  const OptionTree& tree() const { return tree_; }

  // Starts a turn against the incumbent's option and its measured value. `slack` is how much
  // worse (in value) a bigger set may look, from noise alone, before growth stops.
  void begin_turn(OptionIndex incumbent, double incumbent_value, TurnMode mode, double slack);
  // The next option to measure this turn; nullopt when the turn has nothing left to try.
  std::optional<OptionIndex> next_probe();
  // The mean value of the incumbent design with this component at `option`.
  void report(OptionIndex option, double value);
  // The best option measured this turn and its value.
  std::optional<std::pair<OptionIndex, double>> best_of_turn() const;
  // Ends the turn; the best options stay remembered for later turns.
  void end_turn();

 private:
  enum class Stage { probing, growing, done };

  void enqueue(std::optional<OptionIndex> option);
  std::vector<std::size_t> ranked_hosts() const;  // best first; hosts never measured last
  void enqueue_neighbours(OptionIndex option);
  void start_growth();

  std::size_t component_;
  OptionTree tree_;
  std::vector<std::optional<double>> host_value_;  // latest value of each single-host option
  std::vector<OptionIndex> remembered_;            // best options of earlier turns, best first

  Stage stage_ = Stage::done;
  TurnMode mode_ = TurnMode::full;
  OptionIndex incumbent_ = 0;
  double slack_ = 0;
  std::deque<OptionIndex> queue_;
  std::map<OptionIndex, double> tried_;  // this turn, the incumbent included
  std::vector<std::size_t> growth_order_;
  std::size_t grown_ = 0;  // hosts in the set being grown
  HostMask growth_mask_ = 0;
  double growth_best_ = 0;
};

}  // namespace hatch
