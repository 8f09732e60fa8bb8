// SplitMix64: a tiny random generator whose output is fixed by its seed on every platform (the
// standard distributions are not), for the corpus and the load generator's choices.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace hatch::web {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n); n must be at least 1.
  std::size_t below(std::size_t n) {
    return std::min(n - 1, static_cast<std::size_t>(unit() * static_cast<double>(n)));
  }

 private:
  std::uint64_t state_;
};

}  // namespace hatch::web
