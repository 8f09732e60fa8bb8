#include "hatch/transition.hpp"

#include <fmt/format.h>

namespace hatch {

std::string TransitionReport::to_string() const {
  std::string steps_text;
  for (const TransitionStep& s : steps) {
    steps_text += fmt::format("{}{} {:.3f} ms", steps_text.empty() ? "" : ", ", s.name,
                              s.duration.count() / 1000.0);
  }
  if (!ok) {
    return fmt::format("could not move '{}' {} -> {}: {}; it stays at {} (pause {:.3f} ms; {})",
                       component, from, to, error, from, pause.count() / 1000.0, steps_text);
  }
  const std::string entries =
      entries_moved > 0 ? fmt::format(", {} entries moved", entries_moved) : std::string();
  return fmt::format("moved '{}' {} -> {} with {:.3f} ms pause, {} B of state{} ({})", component,
                     from, to, pause.count() / 1000.0, state_bytes, entries, steps_text);
}

}  // namespace hatch
