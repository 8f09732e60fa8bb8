// The design space of a running program, from its catalog: each component's kind comes from its
// state base and its shardability from its interface (PlacementRule::of), the hosts from the
// configuration. Nothing is declared twice.
//
//   DesignSpace space = catalog_space(Catalog::program(), {"cache", "store"}, nodes);
#pragma once

#include <string>
#include <vector>

#include "design/design_space.hpp"
#include "hatch/catalog.hpp"

namespace hatch {

// The space of `components` (names registered in `catalog`, in this order) over `nodes`.
// Throws UsageError naming a component the catalog does not hold, and for the reasons
// DesignSpace gives.
DesignSpace catalog_space(const Catalog& catalog, const std::vector<std::string>& components,
                          const std::vector<std::string>& nodes);

}  // namespace hatch
