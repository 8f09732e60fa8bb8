#include "design/design_space.hpp"

#include <cmath>
#include <set>

#include "hatch/error.hpp"

namespace hatch {
namespace {

// Every subset of {0..n-1} with `size` members, in lexicographic order.
void subsets_of_size(std::size_t n, std::size_t size, std::vector<std::uint8_t>& current,
                     std::size_t from, std::vector<std::vector<std::uint8_t>>& out) {
  if (current.size() == size) {
    out.push_back(current);
    return;
  }
  for (std::size_t i = from; i + (size - current.size()) <= n; ++i) {
    current.push_back(static_cast<std::uint8_t>(i));
    subsets_of_size(n, size, current, i + 1, out);
    current.pop_back();
  }
}

// An exact product of small factors, as base-10^9 limbs, least significant first.
class DecimalProduct {
 public:
  void multiply(std::uint32_t factor) {
    std::uint64_t carry = 0;
    for (std::uint32_t& limb : limbs_) {
      const std::uint64_t value = static_cast<std::uint64_t>(limb) * factor + carry;
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

  // The sets of two or more hosts drawn from {origin} + hosts, shared by every component.
  const std::size_t places = hosts_.size() + 1;
  std::vector<std::vector<std::uint8_t>> sets;
  for (std::size_t size = 2; size <= places; ++size) {
    std::vector<std::uint8_t> current;
    subsets_of_size(places, size, current, 0, sets);
  }
  auto name_of = [&](std::uint8_t index) {
    return index == 0 ? std::string("local") : hosts_[index - 1];
  };
  for (const ComponentSpec& spec : components_) {
    std::vector<Placement>& options = options_.emplace_back();
    std::vector<std::vector<std::uint8_t>>& option_hosts = option_hosts_.emplace_back();
    options.push_back(Placement::local());
    option_hosts.push_back({0});
    if (spec.pinned) continue;
    const Placement::Kind set_kind = spec.rule().set_kind();
    for (std::uint8_t h = 1; h < places; ++h) {
      options.push_back(Placement::on(name_of(h)));
      option_hosts.push_back({h});
    }
    for (const std::vector<std::uint8_t>& set : sets) {
      std::vector<std::string> names;
      for (std::uint8_t h : set) names.push_back(name_of(h));
      options.push_back(set_kind == Placement::Kind::sharded
                            ? Placement::sharded(std::move(names))
                            : Placement::replicated(std::move(names)));
      option_hosts.push_back(set);
    }
  }
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

const std::vector<Placement>& DesignSpace::options(std::size_t component) const {
  return options_.at(component);
}

const std::vector<std::uint8_t>& DesignSpace::option_hosts(std::size_t component,
                                                           std::size_t option) const {
  return option_hosts_.at(component).at(option);
}

std::string DesignSpace::size() const {
  DecimalProduct product;
  for (const auto& options : options_) product.multiply(static_cast<std::uint32_t>(options.size()));
  return product.str();
}

double DesignSpace::log10_size() const {
  double sum = 0;
  for (const auto& options : options_) sum += std::log10(static_cast<double>(options.size()));
  return sum;
}

void DesignSpace::check(const Choice& choice) const {
  if (choice.size() != components_.size()) {
    throw UsageError("design space: a choice names " + std::to_string(choice.size()) +
                     " options for " + std::to_string(components_.size()) + " components");
  }
  for (std::size_t i = 0; i < choice.size(); ++i) {
    if (choice[i] >= options_[i].size()) {
      throw UsageError("design space: option " + std::to_string(choice[i]) + " of component '" +
                       components_[i].name + "' is out of range (it has " +
                       std::to_string(options_[i].size()) + ")");
    }
  }
}

Design DesignSpace::design(const Choice& choice) const {
  check(choice);
  Design out;
  for (std::size_t i = 0; i < choice.size(); ++i) out[components_[i].name] = options_[i][choice[i]];
  return out;
}

std::string DesignSpace::describe(const Choice& choice) const {
  check(choice);
  std::string out;
  for (std::size_t i = 0; i < choice.size(); ++i) {
    if (i > 0) out += ' ';
    out += components_[i].name + "=" + options_[i][choice[i]].to_string();
  }
  return out;
}

Choice DesignSpace::sample(std::mt19937_64& rng) const {
  Choice out(components_.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uniform_int_distribution<std::uint32_t> pick(
        0, static_cast<std::uint32_t>(options_[i].size() - 1));
    out[i] = pick(rng);
  }
  return out;
}

bool DesignSpace::next(Choice& choice) const {
  check(choice);
  for (std::size_t i = 0; i < choice.size(); ++i) {
    if (++choice[i] < options_[i].size()) return true;
    choice[i] = 0;
  }
  return false;
}

}  // namespace hatch
