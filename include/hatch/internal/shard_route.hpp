// Which shard a key belongs to: the same answer in every process, for a call's shard-key
// argument and for a keyed state's entry.
//
// A key is hashed by its text: a string as it is, an integer in decimal, anything else by its
// msgpack encoding. A keyed component's entry keys are therefore its shard keys as text, and a
// call `get("a")` reaches the shard that holds entry "a". Jump consistent hashing (Lamping and
// Veach, 2014) maps the hash to one of n shards, so growing from n to n+1 shards moves only a
// 1/(n+1) share of the keys, and a key keeps its shard index whenever that index still exists.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "hatch/internal/msgpack.hpp"
#include "hatch/internal/wire_buffer.hpp"

namespace hatch::internal {

// A 64-bit hash of `text`, the same on every platform (FNV-1a, then a finalising mix so that
// keys differing in their last byte spread over the whole range).
std::uint64_t key_hash(std::string_view text);

// The shard in [0, shards) of a key with hash `hash`. Requires shards >= 1.
std::uint32_t jump_hash(std::uint64_t hash, std::uint32_t shards);

template <class T>
std::uint64_t shard_key_hash(const T& key) {
  using V = std::decay_t<T>;
  if constexpr (std::is_convertible_v<const V&, std::string_view>) {
    return key_hash(std::string_view(key));
  } else if constexpr (std::is_integral_v<V> && !std::is_same_v<V, bool>) {
    return key_hash(std::to_string(key));
  } else {
    WireBuffer packed;
    msgpack::pack(packed, key);
    return key_hash(packed.bytes());
  }
}

// The hash of argument number `index` of a call.
template <class... A>
std::uint64_t argument_hash(int index, const A&... args) {
  std::uint64_t hash = 0;
  int i = 0;
  ((i++ == index ? (hash = shard_key_hash(args), 0) : 0), ...);
  return hash;
}

}  // namespace hatch::internal
