// Moves of several components at once, which no single agent can make: coordinate ascent gets
// stuck when components that talk a lot sit together on a mediocre host, because moving any
// one of them alone to a better host adds a network hop. The coordinator therefore also tries,
// after each sweep of the agents:
//   swap(X, Y)   every component on host X goes to Y and every one on Y goes to X
//                (hosts are interchangeable up to their speed: this tries the same grouping on
//                other machines);
//   merge(X, Y)  every component on X goes to Y (fewer hops, more sharing of Y);
//   pair(u, v, Y)  two components that talk a lot (an edge that perception measured as busy)
//                move together to host Y, so that their calls stay inside one host;
//   subtree(u, Y)  u and every component it calls that shares its placement move to host Y:
//                a caller and its helpers leave (or join) the origin as a group.
// Swaps and merges apply to whole host sets too: replicated{X, Z} becomes replicated{Y, Z}.
// Pinned components never move.
#pragma once

#include <vector>

#include "learn/agent.hpp"
#include "perception/window.hpp"

namespace hatch {

// Every distinct pair move along the first `busy` of `edges` (sorted busiest first), every
// subtree move, then every swap and merge of the hosts that `incumbent` uses, as designs, the
// incumbent itself excluded. `agents` are the agents of the unpinned components; edges are the
// incumbent's, naming components by index.
std::vector<Choice> group_moves(const std::vector<Agent>& agents, const Choice& incumbent,
                                const std::vector<EdgeWindow>& edges, std::size_t busy);

}  // namespace hatch
