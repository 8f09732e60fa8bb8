// What steers the learner's search from outside, and what it reports: the program's pins, the
// rule that leaves alone the moves that cannot pay for themselves, the exploration budget of a
// converged learner, memory() and restore(), which carry what was learned across a restart, and
// the accessors (best, phase, the matrix). The search itself, and
// the invariants, are in learner.cpp; learner_impl.hpp has the coordinator both share.
#include "learn/learner.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "hatch/error.hpp"
#include "learn/learner_impl.hpp"

namespace hatch {

using learner_detail::is_agent;
using learner_detail::number;
using learner_detail::State;

void Learner::Impl::apply_pins(Choice& choice) const {
  for (std::size_t c = 0; c < pins.size(); ++c)
    if (pins[c]) choice[c] = *pins[c];
}

bool Learner::Impl::keeps_pins(const Choice& choice) const {
  for (std::size_t c = 0; c < pins.size(); ++c)
    if (pins[c] && choice[c] != *pins[c]) return false;
  return true;
}

bool Learner::Impl::repays(double share, double cost) const {
  return options.horizon_seconds <= 0 || share * options.horizon_seconds >= 2 * cost;
}

bool Learner::Impl::worth_moving(const Choice& design) const {
  double share = 0, cost = 0;
  for (std::size_t c = 0; c < design.size(); ++c)
    if (design[c] != incumbent[c]) {
      share += shares.inclusive[c];
      cost += move_cost[c];
    }
  return repays(share, cost);
}

bool Learner::Impl::within_budget() const {
  return double(quiet_probes + 1) <= options.exploration_budget * double(quiet_windows + 1);
}

void Learner::Impl::pin(std::size_t c, OptionIndex option) {
  if (c >= space.component_count())
    throw UsageError("Learner::pin: no component " + std::to_string(c) + " (the space has " +
                     std::to_string(space.component_count()) + ")");
  const std::string& name = space.component(c).name;
  if (space.component(c).pinned)
    throw UsageError("Learner::pin: the design space pins '" + name + "' already");
  if (option >= space.option_count(c))
    throw UsageError("Learner::pin: '" + name + "' has no option " + std::to_string(option) +
                     " (it has " + std::to_string(space.option_count(c)) + ")");
  pins[c] = option;
  const bool moved = incumbent[c] != option;
  incumbent[c] = option;
  if (champion) (*champion)[c] = option;
  // A turn of that agent ends, and so does any turn whose designs could break the pin: one
  // measured against the incumbent before the pin moved it, or a group turn.
  if (turn && (moved || !is_agent(turn->who) || member_for(c))) end_turn();
  std::erase_if(near_misses, [&](const Choice& design) { return !keeps_pins(design); });
  remeasure = true;
}

void Learner::Impl::unpin(std::size_t c) {
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

void Learner::Impl::restore(const LearnerMemory& m) {
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

void Learner::pin(std::size_t component, OptionIndex option) {
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

}  // namespace hatch
