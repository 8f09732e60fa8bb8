// How the results of a call that reached every shard become one result, by the method's merge
// policy (method_spec.hpp). Instantiated per result type where a proxy is compiled; a policy
// that does not fit the result type (merge_sum of strings) is a UsageError naming the method.
// What fits: sum — numbers; concat — sequences and strings (appended in shard order) and maps
// (united; the first shard's value wins); min / max — numbers and strings; any / all — bool;
// first_non_empty — optionals, sequences, strings and maps.
#pragma once

#include <algorithm>
#include <concepts>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "hatch/error.hpp"
#include "hatch/method_spec.hpp"

namespace hatch::internal {

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <class T>
concept Appendable = requires(T a, const T& b) {
  a.insert(a.end(), b.begin(), b.end());
};
template <class T>
concept MapLike = requires(T a, const T& b) {
  typename T::mapped_type;
  a.insert(b.begin(), b.end());
};
template <class T>
concept HasEmpty = requires(const T& a) {
  { a.empty() } -> std::convertible_to<bool>;
};

template <class R>
R merge_results(MergePolicy policy, std::vector<R> results, std::string_view method) {
  auto unfit = [&]() -> R {
    throw UsageError("the merge policy " + std::string(to_string(policy)) + " of " +
                     std::string(method) + " does not fit its result type");
  };
  if (results.empty()) throw UsageError(std::string(method) + " reached no shard");
  R out = std::move(results.front());
  for (std::size_t i = 1; i < results.size(); ++i) {
    R next = std::move(results[i]);
    switch (policy) {
      case MergePolicy::sum:
        if constexpr (std::is_arithmetic_v<R> && !std::is_same_v<R, bool>) {
          out = static_cast<R>(out + next);
          break;
        }
        return unfit();
      case MergePolicy::concat:
        if constexpr (MapLike<R>) {
          out.insert(next.begin(), next.end());
          break;
        } else if constexpr (Appendable<R>) {
          out.insert(out.end(), next.begin(), next.end());
          break;
        }
        return unfit();
      case MergePolicy::min:
      case MergePolicy::max:
        if constexpr (std::is_arithmetic_v<R> || std::is_same_v<R, std::string>) {
          if (policy == MergePolicy::min ? next < out : out < next) out = std::move(next);
          break;
        }
        return unfit();
      case MergePolicy::any:
      case MergePolicy::all:
        if constexpr (std::is_same_v<R, bool>) {
          out = policy == MergePolicy::any ? (out || next) : (out && next);
          break;
        }
        return unfit();
      case MergePolicy::first_non_empty:
        if constexpr (IsOptional<R>::value) {
          if (!out) out = std::move(next);
          break;
        } else if constexpr (HasEmpty<R>) {
          if (out.empty()) out = std::move(next);
          break;
        }
        return unfit();
      case MergePolicy::none:
      case MergePolicy::custom:
        return unfit();
    }
  }
  return out;
}

}  // namespace hatch::internal
