// The distribution semantics of an interface method, recorded by HATCH_INTERFACE.
//
// Each method says whether it reads or writes its component's state, which argument (if any) is
// its shard key, and how results from several shards are merged when a call without a key
// scatters. Placements use these facts: a replicated component sends writes through its primary,
// a sharded one routes by the key. The options are spelled inside HATCH_INTERFACE without the
// namespace, e.g. `shard_key<0>` or `merge_sum`.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

namespace hatch {

enum class Semantics : std::uint8_t { read, write };

enum class MergePolicy : std::uint8_t {
  none,             // no merge: a call without a shard key cannot scatter
  sum,              // add the shards' results
  concat,           // concatenate sequences / union maps, in shard order
  min,              // smallest result
  max,              // largest result
  any,              // logical or
  all,              // logical and
  first_non_empty,  // first engaged optional / non-empty value, in shard order
  custom,           // a user function; how it is supplied comes with sharding
};

std::string_view to_string(Semantics s);
std::string_view to_string(MergePolicy m);

// One method option; combine several in HATCH_INTERFACE's method tuple.
struct MethodOption {
  int shard_key = -1;  // index of the shard-key argument, or -1
  MergePolicy merge = MergePolicy::none;
};

// What HATCH_INTERFACE records for each method.
struct MethodInfo {
  std::string_view name;
  Semantics semantics = Semantics::read;
  int arity = 0;
  int shard_key = -1;  // index of the shard-key argument, or -1 when the method has none
  MergePolicy merge = MergePolicy::none;
};

namespace spec {

inline constexpr Semantics read = Semantics::read;
inline constexpr Semantics write = Semantics::write;

template <int Index>
inline constexpr MethodOption shard_key{Index, MergePolicy::none};

inline constexpr MethodOption merge_sum{-1, MergePolicy::sum};
inline constexpr MethodOption merge_concat{-1, MergePolicy::concat};
inline constexpr MethodOption merge_min{-1, MergePolicy::min};
inline constexpr MethodOption merge_max{-1, MergePolicy::max};
inline constexpr MethodOption merge_any{-1, MergePolicy::any};
inline constexpr MethodOption merge_all{-1, MergePolicy::all};
inline constexpr MethodOption merge_first_non_empty{-1, MergePolicy::first_non_empty};
inline constexpr MethodOption merge_custom{-1, MergePolicy::custom};

// Folds a method's options into its MethodInfo.
constexpr MethodInfo make_method(std::string_view name, Semantics semantics, int arity,
                                 std::initializer_list<MethodOption> options) {
  MethodInfo info{name, semantics, arity, -1, MergePolicy::none};
  for (const MethodOption& o : options) {
    if (o.shard_key >= 0) info.shard_key = o.shard_key;
    if (o.merge != MergePolicy::none) info.merge = o.merge;
  }
  return info;
}

}  // namespace spec
}  // namespace hatch
