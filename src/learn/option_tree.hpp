// The structure of one component's options, which its agent searches instead of a flat list:
//
//   kind     local | on | replicated | sharded      (the component's kind decides which exist)
//   count    how many hosts: 1 for local and on, 2..n+1 for a set
//   hosts    which ones, as a bit mask over {origin = bit 0, hosts()[i] = bit i + 1}
//
// Local and on(h) are both "one host" (local is the origin), so the agent can rank every host,
// origin included, with n + 1 probes, and build sets from that ranking instead of trying the
// 2^(n+1) sets one by one.
#pragma once

#include <cstdint>
#include <optional>

#include "design/design_space.hpp"

namespace hatch {

struct OptionShape {
  Placement::Kind kind = Placement::Kind::local;
  HostMask hosts = 1;
  unsigned count = 1;  // bits set in `hosts`
};

// A view of one component of a DesignSpace, which must outlive it. Nothing is listed: with
// 2^(n+1) - 1 options per component, every answer is computed from the option's index.
class OptionTree {
 public:
  OptionTree(const DesignSpace& space, std::size_t component);

  OptionIndex option_count() const { return space_->option_count(component_); }
  std::size_t host_count() const { return space_->place_count(); }  // origin included
  OptionShape shape(OptionIndex option) const;

  // The option that runs on exactly one host (0 = origin), if the component may go there.
  std::optional<OptionIndex> single(std::size_t host) const {
    return space_->single(component_, host);
  }
  // The set option (replicated or sharded, whichever the kind allows) over `hosts`, if any.
  std::optional<OptionIndex> set(HostMask hosts) const { return space_->set(component_, hosts); }
  // The option over `hosts`: single when it holds one host, else a set.
  std::optional<OptionIndex> over(HostMask hosts) const;
  bool has_sets() const { return option_count() > host_count(); }

 private:
  const DesignSpace* space_;
  std::size_t component_;
};

}  // namespace hatch
