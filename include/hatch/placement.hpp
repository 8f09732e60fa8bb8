// Where a component lives, as a plain value: the declarative form of a binding.
//
//   local                 in the origin's process
//   on(h)                 on one node, h = "host:port"
//   replicated{h1,h2,..}  one replica on each host; the first is the primary of a stateful one
//   sharded{h1,h2,..}     the keyed state split across the hosts by a consistent hash
//
// A host in a set may be "local" (the origin). A design maps every component to a placement.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hatch {

struct Placement {
  enum class Kind { local, on, replicated, sharded };

  Kind kind = Kind::local;
  std::vector<std::string> hosts;  // empty for local; one for on; two or more otherwise

  static Placement local() { return {}; }
  static Placement on(std::string host);
  static Placement replicated(std::vector<std::string> hosts);
  static Placement sharded(std::vector<std::string> hosts);

  // The forms above: "local", "on(127.0.0.1:7001)", "replicated{a,b}", "sharded{a,b,c}". A bare
  // "host:port" is read as on(host:port), "origin" as local. Throws UsageError naming the
  // problem for anything else (an empty or repeated host, a set of fewer than two).
  static Placement parse(std::string_view text);

  std::string to_string() const;
  friend bool operator==(const Placement&, const Placement&) = default;
};

// One placement for every component it names; a component not named keeps its placement.
using Design = std::map<std::string, Placement>;

}  // namespace hatch
