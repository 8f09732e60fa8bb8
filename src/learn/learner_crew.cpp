// The learner's crews (learner.hpp, LearnerOptions::concurrent_agents): who joins a turn, how a
// window in which several members moved is read, and how each member's best probe is decided.
// The search around them is in learner.cpp; docs/learner.md, "Crews", has the reasons.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "learn/crew.hpp"
#include "learn/learner_impl.hpp"

namespace hatch {

using learner_detail::is_agent;
using learner_detail::Member;

Choice Learner::Impl::on_base(std::size_t agent, OptionIndex option) const {
  Choice choice = turn->base;
  choice[agents[agent].component()] = option;
  return choice;
}

bool Learner::Impl::may_explore(std::size_t agent, TurnMode mode) const {
  const std::size_t c = agents[agent].component();
  return !pins[c] && (mode != TurnMode::refine || repays(shares.inclusive[c], move_cost[c]));
}

void Learner::Impl::enlist_crew(TurnMode mode) {
  // A window in which several moved can be screened only against the incumbent's own latency
  // breakdown, and who interacts with whom is known only from its edges.
  if (options.concurrent_agents <= 1 || incumbent_inclusive.empty()) return;
  const CallReach reach(space.component_count(), edges);
  auto apart = [&](std::size_t a) {
    return std::all_of(turn->crew.begin(), turn->crew.end(), [&](const Member& m) {
      return reach.independent(agents[m.agent].component(), agents[a].component());
    });
  };
  for (auto it = sweep.begin();
       it != sweep.end() && turn->crew.size() < options.concurrent_agents;) {
    if (is_agent(*it) && apart(*it) && may_explore(*it, mode)) {
      turn->crew.emplace_back().agent = *it;
      it = sweep.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<std::size_t> Learner::Impl::member_for(std::size_t c) const {
  if (!turn) return std::nullopt;
  for (std::size_t i = 0; i < turn->crew.size(); ++i)
    if (agents[turn->crew[i].agent].component() == c) return i;
  return std::nullopt;
}

std::optional<OptionIndex> Learner::Impl::best_gain(const Member& m) const {
  // A screened value is noisier than a window's: besides the window's noise it carries the
  // others' measured change. It must beat the base by one standard error to be worth a window
  // of its own; a measured one, by anything.
  const double base = mean_of(turn->base);
  const double base_runs = double(std::max<std::uint64_t>(runs_of(turn->base), 1));
  std::optional<OptionIndex> best;
  double best_gain = 0;
  for (OptionIndex option : m.probed) {
    if (std::find(m.rejected.begin(), m.rejected.end(), option) != m.rejected.end()) continue;
    const Choice alone = on_base(m.agent, option);
    double gain = mean_of(alone) - base;
    if (runs_of(alone) == 0) {
      const auto it = turn->screened.find({m.agent, option});
      if (it == turn->screened.end()) continue;
      const double n = it->second.count;
      gain = it->second.sum / n - base - noise() * std::sqrt(1 / n + 1 / base_runs);
    }
    if (gain > best_gain) {
      best = option;
      best_gain = gain;
    }
  }
  return best;
}

std::optional<Choice> Learner::Impl::decide_crew() {
  // Members in turn: each one's best probe runs alone against the incumbent, which an earlier
  // member's acceptance may have changed (their components do not interact, so a gain holds).
  for (Member& m : turn->crew) {
    while (!m.settled) {
      const auto option = best_gain(m);
      if (!option) {
        m.settled = true;
        break;
      }
      const Choice design = with(m.agent, *option);
      const std::string name = space.component(agents[m.agent].component()).name;
      if (runs_of(design) == 0) {
        phase = "confirming " + name;
        return design;
      }
      if (mean_of(design) <= mean_of(incumbent)) {
        // A screen that misled once is not followed further: its next picks are weaker still.
        m.rejected.push_back(*option);
        m.settled = turn->screened.count({m.agent, *option}) > 0;
        continue;
      }
      if (!incumbent_fresh()) return incumbent;
      if (clearly_better(design)) {
        adopt(design);
        m.settled = true;
        break;
      }
      if (runs_of(design) < options.confirm_limit) {
        phase = "confirming " + name;
        return design;
      }
      if (runs_of(incumbent) < runs_of(design)) return incumbent;
      m.settled = true;
    }
  }
  end_turn();
  return std::nullopt;
}

void Learner::Impl::observe_crew(const Choice& ran, const Window& w, double value) {
  // Only a design that differs from the incumbent in members' components is the turn's.
  std::vector<std::size_t> movers;
  for (std::size_t c = 0; c < ran.size(); ++c) {
    if (ran[c] == incumbent[c]) continue;
    if (!member_for(c)) return;
    movers.push_back(c);
  }
  for (std::size_t c : movers) {
    Member& m = turn->crew[*member_for(c)];
    const OptionIndex option = ran[c];
    double reported = mean_of(ran);
    if (movers.size() > 1) {
      learner_detail::Screened& s = turn->screened[{m.agent, option}];
      s.sum += screened_value(value, w, incumbent_inclusive, movers, c);
      ++s.count;
      const Choice alone = on_base(m.agent, option);
      reported = runs_of(alone) > 0 ? mean_of(alone) : s.sum / s.count;
    }
    agents[m.agent].report(option, reported);
    if (std::find(m.probed.begin(), m.probed.end(), option) == m.probed.end())
      m.probed.push_back(option);
  }
}

}  // namespace hatch
