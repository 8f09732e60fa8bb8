#include "learn/group_moves.hpp"

#include <algorithm>
#include <bit>
#include <functional>

namespace hatch {
namespace {

// `incumbent` with every agent's host mask mapped through `map`, or nullopt if some mapped
// mask is not an option of that component.
std::optional<Choice> remap(const std::vector<Agent>& agents, const Choice& incumbent,
                            const std::function<HostMask(HostMask)>& map) {
  Choice moved = incumbent;
  for (const Agent& agent : agents) {
    const OptionTree& tree = agent.tree();
    const HostMask mask = map(tree.shape(incumbent[agent.component()]).hosts);
    const auto option =
        std::popcount(mask) == 1 ? tree.single(std::countr_zero(mask)) : tree.set(mask);
    if (!option) return std::nullopt;
    moved[agent.component()] = *option;
  }
  return moved;
}

HostMask bit(std::size_t host) {
  return HostMask{1} << host;
}

}  // namespace

std::vector<Choice> group_moves(const std::vector<Agent>& agents, const Choice& incumbent,
                                const std::vector<EdgeWindow>& busy_edges) {
  if (agents.empty()) return {};
  const std::size_t hosts = agents.front().tree().host_count();
  HostMask used = 0;
  for (const Agent& agent : agents) used |= agent.tree().shape(incumbent[agent.component()]).hosts;

  std::vector<Choice> moves;
  const auto add = [&](std::optional<Choice> move) {
    if (move && *move != incumbent && std::find(moves.begin(), moves.end(), *move) == moves.end())
      moves.push_back(std::move(*move));
  };
  const auto agent_of = [&](std::size_t component) -> const Agent* {
    for (const Agent& agent : agents)
      if (agent.component() == component) return &agent;
    return nullptr;
  };
  for (const EdgeWindow& edge : busy_edges) {
    const Agent* caller = agent_of(edge.caller);
    const Agent* callee = agent_of(edge.callee);
    if (!caller || !callee || caller == callee) continue;
    for (std::size_t y = 0; y < hosts; ++y) {
      const auto to_caller = caller->tree().single(y);
      const auto to_callee = callee->tree().single(y);
      if (!to_caller || !to_callee) continue;
      Choice moved = incumbent;
      moved[edge.caller] = *to_caller;
      moved[edge.callee] = *to_callee;
      add(std::move(moved));
    }
  }
  for (std::size_t x = 0; x < hosts; ++x)
    for (std::size_t y = x + 1; y < hosts; ++y) {
      if (!(used & (bit(x) | bit(y)))) continue;
      add(remap(agents, incumbent, [&](HostMask m) {
        const bool has_x = m & bit(x), has_y = m & bit(y);
        m &= ~(bit(x) | bit(y));
        return m | (has_x ? bit(y) : 0) | (has_y ? bit(x) : 0);
      }));
    }
  for (std::size_t x = 0; x < hosts; ++x) {
    if (!(used & bit(x))) continue;
    for (std::size_t y = 0; y < hosts; ++y) {
      if (y == x) continue;
      add(remap(agents, incumbent,
                [&](HostMask m) { return m & bit(x) ? (m & ~bit(x)) | bit(y) : m; }));
    }
  }
  return moves;
}

}  // namespace hatch
