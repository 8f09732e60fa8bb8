#include "stats_json.hpp"

#include <nlohmann/json.hpp>

namespace hatch::web {

std::string stats_json(const PathStatsMap& stats) {
  nlohmann::json paths = nlohmann::json::object();
  std::uint64_t requests = 0;
  for (const auto& [path, s] : stats) {
    paths[path] = {{"requests", s.requests}, {"bytes_sent", s.bytes_sent}, {"uploads", s.uploads}};
    requests += s.requests;
  }
  nlohmann::json doc = {{"paths", std::move(paths)}, {"requests", requests}};
  return doc.dump() + "\n";
}

}  // namespace hatch::web
