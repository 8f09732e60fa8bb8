#include "learn/agent.hpp"

#include <algorithm>
#include <bit>

namespace hatch {
namespace {

constexpr std::size_t kRemembered = 2;
constexpr std::size_t kRefineSingles = 2;

}  // namespace

Agent::Agent(const DesignSpace& space, std::size_t component)
    : component_(component), tree_(space, component), host_value_(tree_.host_count()) {}

void Agent::begin_turn(OptionIndex incumbent, double incumbent_value, TurnMode mode, double slack) {
  stage_ = Stage::probing;
  mode_ = mode;
  incumbent_ = incumbent;
  slack_ = slack;
  queue_.clear();
  tried_.clear();
  tried_[incumbent] = incumbent_value;
  const OptionShape& shape = tree_.shape(incumbent);
  if (shape.count == 1) host_value_[std::countr_zero(shape.hosts)] = incumbent_value;

  if (mode == TurnMode::full) {
    for (std::size_t h = 0; h < tree_.host_count(); ++h) enqueue(tree_.single(h));
    if (shape.count > 1) enqueue_neighbours(incumbent);
    return;
  }
  std::size_t singles = 0;
  for (std::size_t h : ranked_hosts()) {
    if (singles == kRefineSingles) break;
    const auto option = tree_.single(h);
    if (option && *option != incumbent) {
      enqueue(option);
      ++singles;
    }
  }
  enqueue_neighbours(incumbent);
  for (OptionIndex option : remembered_) enqueue(option);
}

void Agent::enqueue(std::optional<OptionIndex> option) {
  if (!option || tried_.count(*option)) return;
  if (std::find(queue_.begin(), queue_.end(), *option) != queue_.end()) return;
  queue_.push_back(*option);
}

std::vector<std::size_t> Agent::ranked_hosts() const {
  std::vector<std::size_t> hosts(tree_.host_count());
  for (std::size_t h = 0; h < hosts.size(); ++h) hosts[h] = h;
  std::stable_sort(hosts.begin(), hosts.end(), [&](std::size_t a, std::size_t b) {
    if (host_value_[a].has_value() != host_value_[b].has_value()) return host_value_[a].has_value();
    return host_value_[a].value_or(0) > host_value_[b].value_or(0);
  });
  return hosts;
}

void Agent::enqueue_neighbours(OptionIndex option) {
  const HostMask mask = tree_.shape(option).hosts;
  const std::vector<std::size_t> ranked = ranked_hosts();
  std::optional<std::size_t> best_out, worst_in;
  for (std::size_t h : ranked) {
    const bool in = mask & (HostMask{1} << h);
    if (!in && !best_out) best_out = h;
    if (in) worst_in = h;
  }
  if (best_out) enqueue(tree_.set(mask | (HostMask{1} << *best_out)));
  // The origin joins a set whatever its rank alone: the entry lives there, so a replica or
  // shard on it saves the hop for the calls it serves, which its single-host rank (the
  // origin doing all the work) does not show.
  enqueue(tree_.set(mask | HostMask{1}));
  if (worst_in && std::popcount(mask) > 1) {
    const HostMask without = mask & ~(HostMask{1} << *worst_in);
    enqueue(tree_.over(without));
    if (best_out) enqueue(tree_.over(without | (HostMask{1} << *best_out)));
    // Then every other member dropped, worst-ranked first: a host's rank comes from single-host
    // runs under older incumbents, and the member the set is better without (one another
    // component shares, say) need not be the one ranked worst.
    for (auto h = ranked.rbegin(); h != ranked.rend(); ++h) {
      if (*h != *worst_in && (mask & (HostMask{1} << *h))) {
        enqueue(tree_.over(mask & ~(HostMask{1} << *h)));
      }
    }
  }
}

std::optional<OptionIndex> Agent::next_probe() {
  while (stage_ != Stage::done) {
    if (!queue_.empty()) {
      const OptionIndex option = queue_.front();
      queue_.pop_front();
      if (!tried_.count(option)) return option;
      continue;
    }
    if (stage_ == Stage::probing && mode_ == TurnMode::full && tree_.has_sets()) {
      start_growth();
    } else {
      stage_ = Stage::done;
    }
  }
  return std::nullopt;
}

void Agent::start_growth() {
  stage_ = Stage::growing;
  growth_order_ = ranked_hosts();
  growth_mask_ = HostMask{1} << growth_order_[0];
  grown_ = 1;
  growth_best_ = host_value_[growth_order_[0]].value_or(0);
  enqueue(tree_.set(growth_mask_ | (HostMask{1} << growth_order_[grown_])));
}

void Agent::report(OptionIndex option, double value) {
  tried_[option] = value;
  const OptionShape& shape = tree_.shape(option);
  if (shape.count == 1) host_value_[std::countr_zero(shape.hosts)] = value;
  if (stage_ != Stage::growing || shape.count != grown_ + 1 ||
      (shape.hosts & growth_mask_) != growth_mask_)
    return;
  // One host more: keep growing while it helps, or at least does not hurt beyond the noise.
  growth_mask_ = shape.hosts;
  ++grown_;
  const bool keeps_up = value >= growth_best_ - slack_;
  growth_best_ = std::max(growth_best_, value);
  if (keeps_up && grown_ < growth_order_.size())
    enqueue(tree_.set(growth_mask_ | (HostMask{1} << growth_order_[grown_])));
}

std::optional<std::pair<OptionIndex, double>> Agent::best_of_turn() const {
  std::optional<std::pair<OptionIndex, double>> best;
  for (const auto& [option, value] : tried_)
    if (option != incumbent_ && (!best || value > best->second)) best = {option, value};
  return best;
}

void Agent::end_turn() {
  std::vector<std::pair<OptionIndex, double>> ranked(tried_.begin(), tried_.end());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  remembered_.clear();
  for (const auto& [option, value] : ranked) {
    if (remembered_.size() == kRemembered) break;
    remembered_.push_back(option);
  }
  stage_ = Stage::done;
  queue_.clear();
}

}  // namespace hatch
