// The lead turn: designs a model suggests (LearnerOptions::suggest), run one after another while
// the model learns from each window. A calibrated model's best design can be many moves away
// from the incumbent, where no agent's single move would lead; the agents then refine from it.
// learner.cpp runs the turn as it runs a group turn: the best design tried is accepted only when
// clearly better than the incumbent, after confirmation if need be.
#include <optional>

#include "learn/learner_impl.hpp"

namespace hatch {

using learner_detail::kLead;
using learner_detail::State;

std::optional<Choice> Learner::Impl::suggestion() const {
  if (!options.suggest) return std::nullopt;
  std::optional<Choice> design = options.suggest(incumbent);
  if (!design) return std::nullopt;
  space.check(*design);  // a model that names no design of the space is a bug: UsageError
  if (*design == incumbent || !keeps_pins(*design) || runs_of(*design) > 0 ||
      known_far_worse(*design))
    return std::nullopt;
  const bool refine = state == State::quiet || sweep_mode == TurnMode::refine;
  if (refine && !worth_moving(*design)) return std::nullopt;
  return design;
}

std::optional<Choice> Learner::Impl::next_suggestion() {
  // The suggestion that opened the turn, unless windows ran since (the turn waited for the
  // exploration budget) and the model may have learned from them.
  if (!turn->moves.empty()) {
    Choice first = std::move(turn->moves.front());
    turn->moves.clear();
    if (turn->began == windows) return first;
  }
  if (turn->tried.size() >= options.suggestions) return std::nullopt;
  return suggestion();
}

bool Learner::Impl::begin_lead() {
  std::optional<Choice> first = suggestion();
  if (!first) return false;
  turn.emplace();
  turn->who = kLead;
  turn->began = windows;
  turn->moves.push_back(std::move(*first));
  return true;
}

}  // namespace hatch
