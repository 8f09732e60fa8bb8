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

  // Every factory, and so parse, spells each address one way: localhost is 127.0.0.1, IP
  // addresses take their standard form, names are in lower case, ports have no leading zeros.
  // "localhost:7001" and "127.0.0.1:7001" are one host; a set naming both is refused.

  std::string to_string() const;
  friend bool operator==(const Placement&, const Placement&) = default;
};

// One placement for every component it names; a component not named keeps its placement.
using Design = std::map<std::string, Placement>;

// The items of a comma-separated list of placements, split at the commas outside braces and
// parentheses: "a:1,sharded{b:2,local}" is "a:1" and "sharded{b:2,local}". Each is trimmed and
// left for Placement::parse. Throws UsageError naming the list when a bracket is not closed or
// an item is empty.
std::vector<std::string> split_placements(std::string_view list);

}  // namespace hatch
