#include "learn/option_tree.hpp"

#include <bit>

namespace hatch {

OptionTree::OptionTree(const DesignSpace& space, std::size_t component)
    : space_(&space), component_(component) {}

OptionShape OptionTree::shape(OptionIndex option) const {
  const HostMask hosts = space_->option_mask(component_, option);
  return {.kind = space_->option_kind(component_, option),
          .hosts = hosts,
          .count = static_cast<unsigned>(std::popcount(hosts))};
}

std::optional<OptionIndex> OptionTree::over(HostMask hosts) const {
  if (std::has_single_bit(hosts)) return single(static_cast<std::size_t>(std::countr_zero(hosts)));
  return set(hosts);
}

}  // namespace hatch
