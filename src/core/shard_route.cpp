#include "hatch/internal/shard_route.hpp"

namespace hatch::internal {

std::uint64_t key_hash(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  // The finaliser of SplitMix64: every input bit reaches every output bit.
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

std::uint32_t jump_hash(std::uint64_t hash, std::uint32_t shards) {
  std::int64_t bucket = -1;
  std::int64_t next = 0;
  while (next < static_cast<std::int64_t>(shards)) {
    bucket = next;
    hash = hash * 2862933555777941757ull + 1;
    next = static_cast<std::int64_t>(
        static_cast<double>(bucket + 1) *
        (static_cast<double>(1ll << 31) / static_cast<double>((hash >> 33) + 1)));
  }
  return static_cast<std::uint32_t>(bucket);
}

}  // namespace hatch::internal
