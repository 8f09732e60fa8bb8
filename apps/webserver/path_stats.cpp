// The "stats" component: per-path counters, keyed by path.
#include <mutex>

#include "hatch/component.hpp"
#include "stats.hpp"

namespace hatch::web {
namespace {

class PathStatsStore final : public Stats, public KeyedState {
 public:
  void record_read(const std::string& path, std::uint64_t bytes) override {
    std::lock_guard lock(mu_);
    PathStats& s = stats_[path];
    s.requests += 1;
    s.bytes_sent += bytes;
  }
  void record_upload(const std::string& path) override {
    std::lock_guard lock(mu_);
    stats_[path].uploads += 1;
  }
  PathStatsMap all() override {
    std::lock_guard lock(mu_);
    return stats_;
  }

  StateEntries export_entries() override {
    std::lock_guard lock(mu_);
    return to_entries(stats_);
  }
  void import_entries(StateEntries entries) override {
    std::lock_guard lock(mu_);
    add_entries(stats_, entries);
  }

 private:
  std::mutex mu_;
  PathStatsMap stats_;  // guarded by mu_
};

}  // namespace

HATCH_COMPONENT(PathStatsStore, Stats, "stats");

}  // namespace hatch::web
