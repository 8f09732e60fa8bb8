// The design space: every placement each component may take, given its kind, its pin and the
// hosts. A design is one option per component; the space's size is the product of the option
// counts, printed exactly even when it overflows 64 bits.
//
//   DesignSpace space({{"frontend", StateKind::stateless, true},
//                      {"cache", StateKind::keyed}}, {"a", "b"});
//   space.size();                  // "7": 1 option for frontend, 7 for cache
//   Choice c(space.component_count(), 0);
//   do { use(space.design(c)); } while (space.next(c));
//
// With n hosts an unpinned component has 2^(n+1) - 1 options: every non-empty subset of
// {origin} + hosts, a subset of one being local or on(h). That is 8.6 billion options per
// component on 32 hosts, so options are never listed: an option index is turned into its
// placement, and a placement or host set into its index, on demand (combinatorial ranking).
// Hosts are limited to kMaxHosts, so that a host set fits one 64-bit mask.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "hatch/placement.hpp"
#include "hatch/placement_rule.hpp"
#include "hatch/state.hpp"

namespace hatch {

struct ComponentSpec {
  std::string name;
  StateKind kind = StateKind::stateless;
  bool pinned = false;  // stays on the origin: its only option is local
  // Why its interface cannot be sharded although its state is keyed (PlacementRule::of says it
  // for a catalog entry); empty: a keyed component shards.
  std::string cannot_shard{};

  // Which placements it allows: the rule Origin::apply checks.
  PlacementRule rule() const;
};

// One option of one component; see DesignSpace for the order.
using OptionIndex = std::uint64_t;
// One option index per component, in the order of DesignSpace::component().
using Choice = std::vector<OptionIndex>;
// A set of places: bit 0 is the origin, bit i + 1 is DesignSpace::hosts()[i].
using HostMask = std::uint64_t;

class DesignSpace {
 public:
  // `hosts` are the nodes' names or addresses. The origin is always available as "local" and
  // is not listed. Options, in this fixed order for every component:
  //   local; on(h) for each host; then for each host set S of size >= 2 drawn from
  //   {local} + hosts, sharded{S} if the component's rule allows sharding, else replicated{S}
  //   (PlacementRule::set_kind).
  // Sets are listed by increasing size, then in lexicographic order of host indices.
  // Throws UsageError for an empty or repeated component or host name, a host named "local" or
  // "origin", or more than kMaxHosts hosts.
  DesignSpace(std::vector<ComponentSpec> components, std::vector<std::string> hosts);

  std::size_t component_count() const;
  const ComponentSpec& component(std::size_t i) const;
  const std::vector<std::string>& hosts() const;
  std::size_t place_count() const { return hosts_.size() + 1; }  // the origin and the hosts

  OptionIndex option_count(std::size_t component) const;
  Placement option(std::size_t component, OptionIndex option) const;
  Placement::Kind option_kind(std::size_t component, OptionIndex option) const;
  // Where an option runs; never empty: local is {origin}.
  HostMask option_mask(std::size_t component, OptionIndex option) const;

  // The option that runs on one place alone (0 is the origin: local), if the component may go
  // there.
  std::optional<OptionIndex> single(std::size_t component, std::size_t place) const;
  // The set option (replicated or sharded, whichever the component's rule allows) over the
  // places in `mask`, if it has two or more and the component may form sets.
  std::optional<OptionIndex> set(std::size_t component, HostMask mask) const;
  // The option that places the component as `placement` does: the same kind over the same
  // hosts in any order, "origin" being "local" and on(local) being local. Replicated shards
  // are no option.
  std::optional<OptionIndex> find(std::size_t component, const Placement& placement) const;

  std::string size() const;   // exact, in decimal
  double log10_size() const;  // for spaces too large to count in 64 bits

  Design design(const Choice& choice) const;         // component name -> placement
  std::string describe(const Choice& choice) const;  // "frontend=local cache=sharded{a,b} ..."

  Choice sample(std::mt19937_64& rng) const;  // uniform over the whole space
  // Advances `choice` to the next design in mixed-radix order; false after the last one.
  // Component 0 is the fastest-moving digit; the first design is all zeros (every component
  // local) and the last one has every component on its last option.
  bool next(Choice& choice) const;

  // The hosts of an option as ascending indices, in the placement's order: 0 is the origin and
  // i + 1 is hosts()[i]. Never empty: local is {0}.
  std::vector<std::uint8_t> option_hosts(std::size_t component, OptionIndex option) const;

  // Throws UsageError naming the component when `choice` has the wrong length or an option
  // index out of range.
  void check(const Choice& choice) const;

  static constexpr std::size_t kMaxHosts = 63;

 private:
  const std::string& place_name(std::size_t place) const;  // "local" for 0

  std::vector<ComponentSpec> components_;
  std::vector<std::string> hosts_;
  std::vector<Placement::Kind> set_kind_;  // per component: what its sets are
};

}  // namespace hatch
