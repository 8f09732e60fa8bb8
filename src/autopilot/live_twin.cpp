#include "autopilot/live_twin.hpp"

#include <algorithm>
#include <thread>

#include <spdlog/spdlog.h>

#include "hatch/error.hpp"

namespace hatch {
namespace {

constexpr const char* kOutside = "(outside)";
// About a second of coordinate descents on the model.
constexpr std::uint64_t kSearchEvaluations = 4'000'000;
// About 50 ms of them, between two windows: a suggestion must be predicted 2% faster, the
// learner's resolution.
constexpr std::uint64_t kSuggestEvaluations = 200'000;
constexpr double kSuggestGain = 0.02;

}  // namespace

std::unique_ptr<LiveTwin> LiveTwin::make(const DesignSpace& space,
                                         const std::string& entry_component) {
  std::vector<double> cores(space.place_count(), std::max(1u, std::thread::hardware_concurrency()));
  try {
    for (std::size_t c = 0; c < space.component_count(); ++c) {
      if (!entry_component.empty() && space.component(c).name == entry_component) {
        return std::unique_ptr<LiveTwin>(new LiveTwin(space, std::nullopt, c, std::move(cores)));
      }
    }
    std::vector<ComponentSpec> specs;
    for (std::size_t c = 0; c < space.component_count(); ++c) specs.push_back(space.component(c));
    specs.push_back({kOutside, StateKind::stateless, true});
    DesignSpace with_outside(std::move(specs), space.hosts());
    const std::size_t entry = space.component_count();
    return std::unique_ptr<LiveTwin>(
        new LiveTwin(space, std::move(with_outside), entry, std::move(cores)));
  } catch (const UsageError& e) {
    spdlog::warn("the learner runs without a twin: {}", e.what());
    return nullptr;
  }
}

LiveTwin::LiveTwin(const DesignSpace& space, std::optional<DesignSpace> with_outside,
                   std::size_t entry, std::vector<double> cores)
    : space_(space),
      with_outside_(std::move(with_outside)),
      twin_(with_outside_ ? *with_outside_ : space_, entry, std::move(cores)) {}

Choice LiveTwin::twin_choice(const Choice& design) const {
  Choice out = design;
  if (with_outside_) out.push_back(0);
  return out;
}

std::optional<double> LiveTwin::predict_ms(const Choice& design) const {
  return twin_.predict_ms(twin_choice(design));
}

std::optional<Choice> LiveTwin::best_design() const {
  std::optional<Choice> best = twin_.best_design(kSearchEvaluations, 1);
  if (best && with_outside_) best->pop_back();
  return best;
}

std::optional<Choice> LiveTwin::suggest(const Choice& incumbent) const {
  std::optional<Choice> next =
      twin_.suggest(twin_choice(incumbent), kSuggestGain, kSuggestEvaluations, 1);
  if (next && with_outside_) next->pop_back();
  return next;
}

void LiveTwin::observe(const Choice& design, const Window& window,
                       const std::vector<CallEdge>& calls) {
  // A window the model cannot take is the twin's loss, never the learner's: it is left out.
  try {
    twin_.observe(twin_choice(design), with_outside_ ? with_outside(window, calls) : window);
  } catch (const std::exception& e) {
    spdlog::warn("the twin left out window of {}: {}", space_.describe(design), e.what());
  }
}

Window LiveTwin::with_outside(const Window& window, const std::vector<CallEdge>& calls) const {
  // The outside: as many calls as entry calls completed, each as long as an entry call, and
  // an edge to every component it called.
  Window w = window;
  ComponentWindow outside;
  outside.name = kOutside;
  outside.calls_per_s = window.throughput_rps;
  outside.latency = window.entry;
  w.components.push_back(outside);
  const std::size_t index = space_.component_count();
  for (const CallEdge& call : calls) {
    if (!call.caller.empty() || call.calls == 0 || !(window.seconds > 0)) continue;
    for (std::size_t c = 0; c < space_.component_count(); ++c) {
      if (space_.component(c).name != call.callee) continue;
      EdgeWindow edge;
      edge.caller = index;
      edge.callee = c;
      edge.calls_per_s = static_cast<double>(call.calls) / window.seconds;
      edge.latency_ms = call.total_ms / static_cast<double>(call.calls);
      w.edges.push_back(edge);
    }
  }
  return w;
}

}  // namespace hatch
