// The /stats document: every path's counters as JSON, paths in byte order, so that the same
// counters always give the same bytes.
//
//   {"paths":{"/text/doc-0001.html":{"bytes_sent":812,"requests":2,"uploads":0}},"requests":2}
#pragma once

#include <string>

#include "stats.hpp"

namespace hatch::web {

std::string stats_json(const PathStatsMap& stats);

}  // namespace hatch::web
