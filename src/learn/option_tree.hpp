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
#include <map>
#include <optional>
#include <vector>

#include "design/design_space.hpp"

namespace hatch {

using HostMask = std::uint32_t;  // bit 0 is the origin, bit i + 1 is DesignSpace::hosts()[i]

struct OptionShape {
  Placement::Kind kind = Placement::Kind::local;
  HostMask hosts = 1;
  unsigned count = 1;  // bits set in `hosts`
};

class OptionTree {
 public:
  // Reads the options of `component` from `space`.
  OptionTree(const DesignSpace& space, std::size_t component);

  std::size_t option_count() const { return shapes_.size(); }
  std::size_t host_count() const { return host_count_; }  // origin included
  const OptionShape& shape(std::uint32_t option) const { return shapes_[option]; }

  // The option that runs on exactly one host (0 = origin), if the component may go there.
  std::optional<std::uint32_t> single(std::size_t host) const;
  // The set option (replicated or sharded, whichever the kind allows) over `hosts`, if any.
  std::optional<std::uint32_t> set(HostMask hosts) const;
  bool has_sets() const { return !sets_.empty(); }

 private:
  std::size_t host_count_;
  std::vector<OptionShape> shapes_;
  std::map<HostMask, std::uint32_t> singles_;
  std::map<HostMask, std::uint32_t> sets_;
};

}  // namespace hatch
