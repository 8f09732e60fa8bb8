#include "design/design_space.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <set>

#include "hatch/error.hpp"

namespace hatch {
namespace {

constexpr std::size_t kMaxPlaces = DesignSpace::kMaxHosts + 1;

// Binomial coefficients C(n, k) for n, k <= kMaxPlaces; C(64, 32) < 2^64.
constexpr auto kBinomial = [] {
  std::array<std::array<std::uint64_t, kMaxPlaces + 1>, kMaxPlaces + 1> c{};
  for (std::size_t n = 0; n <= kMaxPlaces; ++n) {
    c[n][0] = 1;
    for (std::size_t k = 1; k <= n; ++k) c[n][k] = c[n - 1][k - 1] + c[n - 1][k];
  }
  return c;
}();

// Sets of a given size come in lexicographic order of their ascending members. The number of
// sets of `size` members of {0..places-1} that come before `mask`.
std::uint64_t rank_of(HostMask mask, std::size_t places, std::size_t size) {
  std::uint64_t rank = 0;
  std::size_t next = 0;  // the smallest member the j-th one could have been
  std::size_t j = 0;
  for (std::size_t member = 0; member < places; ++member) {
    if (!(mask & (HostMask{1} << member))) continue;
    for (std::size_t x = next; x < member; ++x) rank += kBinomial[places - 1 - x][size - 1 - j];
    next = member + 1;
    ++j;
  }
  return rank;
}

// The inverse of rank_of.
HostMask set_of_rank(std::uint64_t rank, std::size_t places, std::size_t size) {
  HostMask mask = 0;
  std::size_t x = 0;
  for (std::size_t j = 0; j < size; ++j, ++x) {
    for (;;) {
      const std::uint64_t starting_here = kBinomial[places - 1 - x][size - 1 - j];
      if (rank < starting_here) break;
      rank -= starting_here;
      ++x;
    }
    mask |= HostMask{1} << x;
  }
  return mask;
}

// An exact product of small factors, as base-10^9 limbs, least significant first.
class DecimalProduct {
 public:
  void multiply(std::uint64_t factor) {
    unsigned __int128 carry = 0;
    for (std::uint32_t& limb : limbs_) {
      const unsigned __int128 value = static_cast<unsigned __int128>(limb) * factor + carry;
      limb = static_cast<std::uint32_t>(value % kBase);
      carry = value / kBase;
    }
    while (carry > 0) {
      limbs_.push_back(static_cast<std::uint32_t>(carry % kBase));
      carry /= kBase;
    }
  }

  std::string str() const {
    std::string out = std::to_string(limbs_.back());
    for (std::size_t i = limbs_.size() - 1; i-- > 0;) {
      const std::string digits = std::to_string(limbs_[i]);
      out += std::string(9 - digits.size(), '0') + digits;
    }
    return out;
  }

 private:
  static constexpr std::uint64_t kBase = 1'000'000'000;
  std::vector<std::uint32_t> limbs_{1};
};

void check_name(const std::string& name, const char* what, std::set<std::string>& seen) {
  if (name.empty()) throw UsageError(std::string("design space: a ") + what + " has no name");
  if (!seen.insert(name).second) {
    throw UsageError(std::string("design space: ") + what + " '" + name + "' is listed twice");
  }
}

}  // namespace

DesignSpace::DesignSpace(std::vector<ComponentSpec> components, std::vector<std::string> hosts)
    : components_(std::move(components)), hosts_(std::move(hosts)) {
  if (hosts_.size() > kMaxHosts) {
    throw UsageError("design space: " + std::to_string(hosts_.size()) + " hosts, at most " +
                     std::to_string(kMaxHosts) + " are supported");
  }
  std::set<std::string> seen_hosts;
  for (const std::string& host : hosts_) {
    if (host == "local" || host == "origin") {
      throw UsageError("design space: '" + host + "' names the origin, which is always there");
    }
    check_name(host, "host", seen_hosts);
  }
  std::set<std::string> seen_components;
  for (const ComponentSpec& spec : components_) check_name(spec.name, "component", seen_components);

  for (const ComponentSpec& spec : components_) set_kind_.push_back(spec.rule().set_kind());
}

PlacementRule ComponentSpec::rule() const {
  PlacementRule rule = PlacementRule::of_kind(name, kind);
  if (kind == StateKind::keyed && !cannot_shard.empty()) rule.cannot_shard = cannot_shard;
  return rule;
}

std::size_t DesignSpace::component_count() const {
  return components_.size();
}

const ComponentSpec& DesignSpace::component(std::size_t i) const {
  return components_.at(i);
}

const std::vector<std::string>& DesignSpace::hosts() const {
  return hosts_;
}

const std::string& DesignSpace::place_name(std::size_t place) const {
  static const std::string local = "local";
  return place == 0 ? local : hosts_[place - 1];
}

OptionIndex DesignSpace::option_count(std::size_t component) const {
  if (components_.at(component).pinned) return 1;
  return ~OptionIndex{0} >> (64 - place_count());  // 2^places - 1
}

HostMask DesignSpace::option_mask(std::size_t component, OptionIndex option) const {
  if (option >= option_count(component)) {
    throw UsageError("design space: option " + std::to_string(option) + " of component '" +
                     components_[component].name + "' is out of range (it has " +
                     std::to_string(option_count(component)) + ")");
  }
  const std::size_t places = place_count();
  if (option < places) return HostMask{1} << option;
  std::uint64_t rank = option - places;
  std::size_t size = 2;
  while (rank >= kBinomial[places][size]) rank -= kBinomial[places][size++];
  return set_of_rank(rank, places, size);
}

Placement::Kind DesignSpace::option_kind(std::size_t component, OptionIndex option) const {
  const HostMask mask = option_mask(component, option);
  if (mask == 1) return Placement::Kind::local;
  return std::has_single_bit(mask) ? Placement::Kind::on : set_kind_[component];
}

Placement DesignSpace::option(std::size_t component, OptionIndex option) const {
  const HostMask mask = option_mask(component, option);
  if (mask == 1) return Placement::local();
  if (std::has_single_bit(mask)) return Placement::on(place_name(std::countr_zero(mask)));
  std::vector<std::string> names;
  for (std::size_t place = 0; place < place_count(); ++place) {
    if (mask & (HostMask{1} << place)) names.push_back(place_name(place));
  }
  return set_kind_[component] == Placement::Kind::sharded ? Placement::sharded(std::move(names))
                                                          : Placement::replicated(std::move(names));
}

std::vector<std::uint8_t> DesignSpace::option_hosts(std::size_t component,
                                                    OptionIndex option) const {
  const HostMask mask = option_mask(component, option);
  std::vector<std::uint8_t> out;
  for (std::size_t place = 0; place < place_count(); ++place) {
    if (mask & (HostMask{1} << place)) out.push_back(static_cast<std::uint8_t>(place));
  }
  return out;
}

std::optional<OptionIndex> DesignSpace::single(std::size_t component, std::size_t place) const {
  if (place >= place_count() || (place > 0 && components_.at(component).pinned)) {
    return std::nullopt;
  }
  return place;
}

std::optional<OptionIndex> DesignSpace::set(std::size_t component, HostMask mask) const {
  const std::size_t places = place_count();
  const std::size_t size = static_cast<std::size_t>(std::popcount(mask));
  if (components_.at(component).pinned || size < 2 || (places < 64 && (mask >> places) != 0)) {
    return std::nullopt;
  }
  OptionIndex option = places;
  for (std::size_t smaller = 2; smaller < size; ++smaller) option += kBinomial[places][smaller];
  return option + rank_of(mask, places, size);
}

std::optional<OptionIndex> DesignSpace::find(std::size_t component,
                                             const Placement& placement) const {
  if (placement.has_replicated_shards()) return std::nullopt;
  HostMask mask = 0;
  for (const std::string& host : placement.hosts) {
    if (host == "local" || host == "origin") {
      mask |= 1;
      continue;
    }
    const auto it = std::find(hosts_.begin(), hosts_.end(), host);
    if (it == hosts_.end()) return std::nullopt;
    mask |= HostMask{2} << (it - hosts_.begin());
  }
  switch (placement.kind) {
    case Placement::Kind::local:
      return OptionIndex{0};
    case Placement::Kind::on:
      if (!std::has_single_bit(mask)) return std::nullopt;
      return single(component, static_cast<std::size_t>(std::countr_zero(mask)));
    case Placement::Kind::replicated:
    case Placement::Kind::sharded:
      if (placement.kind != set_kind_.at(component) ||
          static_cast<std::size_t>(std::popcount(mask)) != placement.hosts.size()) {
        return std::nullopt;
      }
      return set(component, mask);
  }
  return std::nullopt;
}

std::string DesignSpace::size() const {
  DecimalProduct product;
  for (std::size_t c = 0; c < components_.size(); ++c) product.multiply(option_count(c));
  return product.str();
}

double DesignSpace::log10_size() const {
  double sum = 0;
  for (std::size_t c = 0; c < components_.size(); ++c) {
    sum += std::log10(static_cast<double>(option_count(c)));
  }
  return sum;
}

void DesignSpace::check(const Choice& choice) const {
  if (choice.size() != components_.size()) {
    throw UsageError("design space: a choice names " + std::to_string(choice.size()) +
                     " options for " + std::to_string(components_.size()) + " components");
  }
  for (std::size_t i = 0; i < choice.size(); ++i) {
    if (choice[i] >= option_count(i)) {
      throw UsageError("design space: option " + std::to_string(choice[i]) + " of component '" +
                       components_[i].name + "' is out of range (it has " +
                       std::to_string(option_count(i)) + ")");
    }
  }
}

Design DesignSpace::design(const Choice& choice) const {
  check(choice);
  Design out;
  for (std::size_t i = 0; i < choice.size(); ++i) out[components_[i].name] = option(i, choice[i]);
  return out;
}

std::string DesignSpace::describe(const Choice& choice) const {
  check(choice);
  std::string out;
  for (std::size_t i = 0; i < choice.size(); ++i) {
    if (i > 0) out += ' ';
    out += components_[i].name + "=" + option(i, choice[i]).to_string();
  }
  return out;
}

Choice DesignSpace::sample(std::mt19937_64& rng) const {
  Choice out(components_.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uniform_int_distribution<OptionIndex> pick(0, option_count(i) - 1);
    out[i] = pick(rng);
  }
  return out;
}

bool DesignSpace::next(Choice& choice) const {
  check(choice);
  for (std::size_t i = 0; i < choice.size(); ++i) {
    if (++choice[i] < option_count(i)) return true;
    choice[i] = 0;
  }
  return false;
}

}  // namespace hatch
