#include "learn/option_tree.hpp"

#include <bit>

namespace hatch {

OptionTree::OptionTree(const DesignSpace& space, std::size_t component)
    : host_count_(space.hosts().size() + 1) {
  const auto& hosts = space.hosts();
  const auto index_of = [&](const std::string& host) -> HostMask {
    for (std::size_t i = 0; i < hosts.size(); ++i)
      if (hosts[i] == host) return HostMask{1} << (i + 1);
    return 1;  // "local" or "origin"
  };
  const auto& options = space.options(component);
  for (std::uint32_t o = 0; o < options.size(); ++o) {
    OptionShape shape{.kind = options[o].kind, .hosts = 0};
    for (const std::string& host : options[o].hosts) shape.hosts |= index_of(host);
    if (shape.hosts == 0) shape.hosts = 1;
    shape.count = unsigned(std::popcount(shape.hosts));
    const bool is_set =
        shape.kind == Placement::Kind::replicated || shape.kind == Placement::Kind::sharded;
    (is_set ? sets_ : singles_).emplace(shape.hosts, o);
    shapes_.push_back(shape);
  }
}

std::optional<std::uint32_t> OptionTree::single(std::size_t host) const {
  const auto it = singles_.find(HostMask{1} << host);
  if (it == singles_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint32_t> OptionTree::set(HostMask hosts) const {
  const auto it = sets_.find(hosts);
  if (it == sets_.end()) return std::nullopt;
  return it->second;
}

}  // namespace hatch
