// What the harnesses assert. A broken property prints its description and aborts, which
// libFuzzer reports as a crash, keeping the input that broke it. It is checked in every build,
// whatever NDEBUG says.
//
//   fuzz::check(decoded.body.size() <= frame.size(), "the body lies inside its frame");
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace hatch::fuzz {

inline void check(bool holds, std::string_view property) {
  if (holds) return;
  std::fprintf(stderr, "fuzz: property broken: %.*s\n", static_cast<int>(property.size()),
               property.data());
  std::abort();
}

}  // namespace hatch::fuzz
