#include "design/catalog_space.hpp"

#include "hatch/error.hpp"
#include "hatch/placement_rule.hpp"

namespace hatch {

DesignSpace catalog_space(const Catalog& catalog, const std::vector<std::string>& components,
                          const std::vector<std::string>& nodes) {
  std::vector<ComponentSpec> specs;
  for (const std::string& name : components) {
    const ComponentEntry* entry = catalog.find(name);
    if (entry == nullptr) {
      throw UsageError("design space: no component named '" + name +
                       "' is registered; registered: " + catalog.names_line());
    }
    const PlacementRule rule = PlacementRule::of(*entry);
    specs.push_back({name, rule.kind, false, rule.cannot_shard});
  }
  return DesignSpace(std::move(specs), nodes);
}

}  // namespace hatch
