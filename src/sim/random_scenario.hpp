// Random scenarios from a seed: web-service-like systems whose best design differs from one
// seed to the next and is rarely all-local. Each has a pinned frontend (the entry), a stateless
// request handler, and a mix of other kinds: a keyed cache whose working set exceeds one host's
// memory (so sharding it pays), a CPU-heavy stateless compressor or renderer (so replicating it
// pays when the origin saturates), a keyed store, write-heavy stats, a stateful session store,
// a scatter-read search index, an auth check. Hosts and links are heterogeneous, and the
// request rate is set so that the all-local design loads the origin to 90-125%.
#pragma once

#include <cstdint>
#include <optional>

#include "sim/scenario.hpp"

namespace hatch::sim {

struct RandomScenarioOptions {
  // 0 picks per seed: 5 components on 5 nodes (63^4 = 15.8M designs) three times in four, else
  // 6 components on 4 nodes (31^5 = 28.6M designs), the smallest shapes of >= 10^6 designs. Giving
  // one of them leaves the other at 4 nodes or 6 components. Components: 3 to kMaxSimComponents;
  // nodes: 1 to kMaxSimNodes.
  std::size_t components = 0;
  std::size_t nodes = 0;
  // When set, the workload shifts at this window: the read/write mix flips, and a light load
  // (all-local origin below 105%) becomes heavy (160-300%) or a heavy one light (25-50%): of
  // 8 such draws, the one that hurts the design that was best before the most.
  std::optional<std::size_t> shift_at = std::nullopt;
};

// The same seed and options give the same scenario. Throws UsageError for options out of range.
Scenario random_scenario(std::uint64_t seed, const RandomScenarioOptions& options = {});

}  // namespace hatch::sim
