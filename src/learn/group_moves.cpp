#include "learn/group_moves.hpp"

#include <algorithm>
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
    const auto option = tree.over(mask);
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
                                const std::vector<EdgeWindow>& edges, std::size_t busy) {
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
  // Moves `group` (components) to host y, if every one of them may go there.
  const auto move_to = [&](const std::vector<const Agent*>& group, std::size_t y) {
    Choice moved = incumbent;
    for (const Agent* agent : group) {
      const auto option = agent->tree().single(y);
      if (!option) return;
      moved[agent->component()] = *option;
    }
    add(std::move(moved));
  };
  for (std::size_t e = 0; e < edges.size() && e < busy; ++e) {
    const Agent* caller = agent_of(edges[e].caller);
    const Agent* callee = agent_of(edges[e].callee);
    if (!caller || !callee || caller == callee) continue;
    for (std::size_t y = 0; y < hosts; ++y) move_to({caller, callee}, y);
  }
  for (const Agent& root : agents) {
    std::vector<const Agent*> group = {&root};
    for (const EdgeWindow& edge : edges) {
      const Agent* callee = edge.caller == root.component() ? agent_of(edge.callee) : nullptr;
      if (callee && callee != &root &&
          callee->tree().shape(incumbent[callee->component()]).hosts ==
              root.tree().shape(incumbent[root.component()]).hosts &&
          std::find(group.begin(), group.end(), callee) == group.end())
        group.push_back(callee);
    }
    if (group.size() < 2) continue;
    for (std::size_t y = 0; y < hosts; ++y) move_to(group, y);
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
