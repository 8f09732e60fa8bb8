// The binding a ref has when its component is at a placement: what a test expects of
// `ref.binding()` once a transition has ended.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "hatch/binding.hpp"
#include "hatch/placement.hpp"

namespace hatch::test {

inline Binding binding_of(const Placement& p) {
  // A binding names the origin's process "origin" where a placement says "local".
  std::vector<std::string> homes = p.hosts;
  std::replace(homes.begin(), homes.end(), std::string("local"), std::string("origin"));
  switch (p.kind) {
    case Placement::Kind::local:
      return Binding::local();
    case Placement::Kind::on:
      return p.hosts.front() == "local" ? Binding::local() : Binding::remote(p.hosts.front());
    case Placement::Kind::replicated:
      return Binding{Binding::Kind::replicated, homes};
    case Placement::Kind::sharded:
      return Binding{Binding::Kind::sharded, homes};
  }
  return {};
}

}  // namespace hatch::test
