// The design space: every placement each component may take, given its kind, its pin and the
// hosts. A design is one option per component; the space's size is the product of the option
// counts, printed exactly even when it overflows 64 bits.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "hatch/placement.hpp"

namespace hatch {

enum class ComponentKind { stateless, stateful, keyed };

struct ComponentSpec {
  std::string name;
  ComponentKind kind = ComponentKind::stateless;
  bool pinned = false;  // stays on the origin: its only option is local
};

// One option index per component, in the order of DesignSpace::component().
using Choice = std::vector<std::uint32_t>;

class DesignSpace {
 public:
  // `hosts` are the nodes' names or addresses. The origin is always available as "local" and
  // is not listed. Options, in this fixed order for every component:
  //   local; on(h) for each host; replicated{S} for each host set S of size >= 2 drawn from
  //   {local} + hosts (stateless and stateful only); sharded{S} likewise (keyed only).
  // Sets are listed by increasing size, then in lexicographic order of host indices.
  DesignSpace(std::vector<ComponentSpec> components, std::vector<std::string> hosts);

  std::size_t component_count() const;
  const ComponentSpec& component(std::size_t i) const;
  const std::vector<std::string>& hosts() const;
  const std::vector<Placement>& options(std::size_t component) const;

  std::string size() const;   // exact, in decimal
  double log10_size() const;  // for spaces too large to count in 64 bits

  Design design(const Choice& choice) const;  // component name -> placement
  std::string describe(const Choice& choice) const;  // "frontend=local cache=sharded{a,b} ..."

  Choice sample(std::mt19937_64& rng) const;  // uniform over the whole space
  // Advances `choice` to the next design in mixed-radix order; false after the last one.
  bool next(Choice& choice) const;
};

}  // namespace hatch
