#include "hatch/method_spec.hpp"

namespace hatch {

std::string_view to_string(Semantics s) {
  return s == Semantics::read ? "read" : "write";
}

std::string_view to_string(MergePolicy m) {
  switch (m) {
    case MergePolicy::none:
      return "none";
    case MergePolicy::sum:
      return "sum";
    case MergePolicy::concat:
      return "concat";
    case MergePolicy::min:
      return "min";
    case MergePolicy::max:
      return "max";
    case MergePolicy::any:
      return "any";
    case MergePolicy::all:
      return "all";
    case MergePolicy::first_non_empty:
      return "first_non_empty";
    case MergePolicy::custom:
      return "custom";
  }
  return "unknown";
}

}  // namespace hatch
