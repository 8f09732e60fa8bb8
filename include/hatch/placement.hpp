// Where a component lives, as a plain value: the declarative form of a binding.
//
//   local                 in the origin's process
//   on(h)                 on one node, h = "host:port"
//   replicated{h1,h2,..}  one replica on each host; the first is the primary of a stateful one
//   sharded{h1,h2,..}     the keyed state split across the hosts by a consistent hash
//   sharded{replicated{h1,h2},replicated{h3,h4},h5}
//                         replicated shards: each shard is a replica set, whose first host is
//                         its primary; a shard may still be one host
//
// A host in a set may be "local" (the origin), and a host is in one set at most: a placement
// names each host once. A design maps every component to a placement.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hatch {

struct Placement {
  enum class Kind { local, on, replicated, sharded };

  Kind kind = Kind::local;
  std::vector<std::string> hosts;  // empty for local; one for on; two or more otherwise
  // Sharded only: how many replicas each shard has, in shard order, its hosts taken in turn
  // from `hosts`. Empty when every shard is one host, as it is for every other kind.
  std::vector<std::uint32_t> shard_replicas;

  static Placement local() { return {}; }
  static Placement on(std::string host);
  static Placement replicated(std::vector<std::string> hosts);
  static Placement sharded(std::vector<std::string> hosts);
  // Replicated shards, one host set per shard in shard order, each set's primary first. Two
  // shards at least; a set of one host is a plain shard, and when every set has one host this
  // is sharded(hosts).
  static Placement replicated_shards(std::vector<std::vector<std::string>> shards);

  // The forms above: "local", "on(127.0.0.1:7001)", "replicated{a,b}", "sharded{a,b,c}",
  // "sharded{replicated{a,b},replicated{c,d}}" (a shard is a host or a replicated set). A bare
  // "host:port" is read as on(host:port), "origin" as local. Throws UsageError naming the
  // problem for anything else (an empty or repeated host, a set of fewer than two).
  static Placement parse(std::string_view text);

  // Every factory, and so parse, spells each address one way: localhost is 127.0.0.1, IP
  // addresses take their standard form, names are in lower case, ports have no leading zeros.
  // "localhost:7001" and "127.0.0.1:7001" are one host; a set naming both is refused.

  std::string to_string() const;

  // Sharded only: the hosts of each shard, in shard order, each set's primary first; a plain
  // sharded placement has one host per shard.
  std::vector<std::vector<std::string>> shards() const;
  // Whether some shard of a sharded placement is a replica set.
  bool has_replicated_shards() const { return !shard_replicas.empty(); }
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
