// The binding a ref has when its component is at a placement: what a test expects of
// `ref.binding()` once a transition has ended.
#pragma once

#include "hatch/binding.hpp"
#include "hatch/placement.hpp"

namespace hatch::test {

inline Binding binding_of(const Placement& p) {
  switch (p.kind) {
    case Placement::Kind::local:
      return Binding::local();
    case Placement::Kind::on:
      return p.hosts.front() == "local" ? Binding::local() : Binding::remote(p.hosts.front());
    case Placement::Kind::replicated:
      return Binding{Binding::Kind::replicated, p.hosts};
    case Placement::Kind::sharded:
      return Binding{Binding::Kind::sharded, p.hosts};
  }
  return {};
}

}  // namespace hatch::test
