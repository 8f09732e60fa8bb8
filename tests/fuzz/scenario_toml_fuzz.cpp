// Fuzzes the simulator's scenario files (sim/scenario_toml.hpp, parse_scenario): TOML text into
// a Scenario, and what the simulator then computes from one that is accepted.
//
// Properties, beyond no crash, no undefined behaviour and no leak:
// - the text is accepted, or refused with a UsageError ("FILE:LINE: FIELD: what is wrong");
// - an accepted scenario passes validate() again and makes a Simulator;
// - the model gives every design it is asked about a finite latency of at least zero, before
//   and after the workload's shift: the all-local design and one drawn from the input's bytes.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string_view>

#include "fuzz_check.hpp"
#include "hatch/error.hpp"
#include "sim/scenario_toml.hpp"
#include "sim/simulator.hpp"

namespace hatch::fuzz {
namespace {

void check_latency(const sim::Simulator& simulator, const Choice& choice) {
  for (const bool after : {false, true}) {
    if (after && !simulator.has_shift()) continue;
    const double ms = simulator.model(after).latency_ms(choice);
    check(std::isfinite(ms) && ms >= 0, "a design's modelled latency is finite and not negative");
  }
}

}  // namespace
}  // namespace hatch::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hatch;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<sim::Scenario> scenario;
  try {
    scenario = sim::parse_scenario(text, "fuzz.toml");
  } catch (const UsageError&) {
    return 0;
  } catch (...) {
    fuzz::check(false, "a scenario is accepted or refused with a UsageError");
  }
  try {
    sim::validate(*scenario);
  } catch (const UsageError&) {
    fuzz::check(false, "an accepted scenario is valid");
  }
  const sim::Simulator simulator(std::move(*scenario));
  fuzz::check_latency(simulator, Choice(simulator.space().component_count(), 0));
  std::mt19937_64 rng(std::hash<std::string_view>{}(text));
  fuzz::check_latency(simulator, simulator.space().sample(rng));
  return 0;
}
