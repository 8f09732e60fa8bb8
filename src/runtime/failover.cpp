#include "runtime/failover.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "runtime/placement_binding.hpp"

namespace hatch::runtime {

namespace {
constexpr std::chrono::milliseconds kLongestRetry{30000};
}  // namespace

Failover::Failover(Directory& directory, asio::io_context& io, std::chrono::milliseconds retry,
                   Hooks hooks)
    : directory_(directory), io_(io), retry_(retry), hooks_(std::move(hooks)) {}

Failover::~Failover() {
  stop();
}

void Failover::stop() {
  std::set<std::shared_ptr<asio::steady_timer>> retries;
  {
    MutexLock lock(mu_);
    stopped_ = true;
    retries.swap(retries_);
  }
  for (const auto& timer : retries) timer->cancel();
}

void Failover::replica_lost(const std::string& name, const std::string& home, bool missed_writes,
                            std::uint32_t id) {
  {
    MutexLock lock(mu_);
    if (stopped_) return;
    if (missed_writes) missed_writes_.emplace(name, home);
    if (!running_.emplace(name, home).second) return;
  }
  asio::post(io_,
             [this, name, home, missed_writes, id] { run(name, home, missed_writes, id, retry_); });
}

void Failover::home_stale(const std::string& name, std::uint32_t id, const std::string& home) {
  bool missed = false;
  {
    MutexLock lock(mu_);
    if (stopped_) return;
    missed = missed_writes_.count({name, home}) != 0;
    // Every caller of a gated home reports it: one repair at a time is enough.
    if (!missed && !repairing_.emplace(name, home).second) return;
  }
  if (missed) {
    replica_lost(name, home, true);
    return;
  }
  asio::post(io_, [this, name, id, home] {
    try {
      hooks_.reopen(name, id, home);
    } catch (const std::exception& e) {
      spdlog::warn("could not repair the gated home {} of '{}': {}", home, name, e.what());
    }
    MutexLock lock(mu_);
    repairing_.erase({name, home});
  });
}

void Failover::run(const std::string& name, const std::string& home, bool missed_writes,
                   std::uint32_t id, std::chrono::milliseconds delay) {
  bool done = true;
  try {
    done = fail_over(name, home, missed_writes, id);
  } catch (const std::exception& e) {
    spdlog::warn("could not take the replica of '{}' at {} out of its set: {}", name, home,
                 e.what());
    done = false;
  }
  MutexLock lock(mu_);
  if (done || stopped_) {
    running_.erase({name, home});
    missed_writes_.erase({name, home});
    return;
  }
  if (missed_writes_.count({name, home}) == 0) {
    running_.erase({name, home});
    return;
  }
  const auto next = std::min(delay * 2, kLongestRetry);
  auto timer = std::make_shared<asio::steady_timer>(io_, delay);
  retries_.insert(timer);
  spdlog::warn(
      "the replica of '{}' at {} missed writes and is still in its set; trying again in "
      "{} ms",
      name, home, delay.count());
  timer->async_wait([this, timer, name, home, id, next](const boost::system::error_code& ec) {
    {
      MutexLock lock(mu_);
      retries_.erase(timer);
      if (ec || stopped_) return;
    }
    run(name, home, true, id, next);
  });
}

bool Failover::fail_over(const std::string& name, const std::string& home, bool missed_writes,
                         std::uint32_t id) {
  const auto concerns = [&](const ComponentRecord& now) {
    return (id == 0 || now.id == id) && has_fellow_replica(now.placement, home);
  };
  if (!concerns(directory_.record(name))) return true;
  // The origin always reaches itself; a replica that answers holds every write and keeps its
  // place.
  if (!missed_writes && (home == kOriginLocation || hooks_.reachable(home))) return true;
  const std::optional<TransitionReport> report =
      hooks_.transition(name, [&](const ComponentRecord& now) -> std::optional<Placement> {
        if (!concerns(now)) return std::nullopt;
        Placement next = without_home(now.placement, home);
        spdlog::warn("the replica of '{}' at {} {}: moving to {}", name, home,
                     missed_writes ? "missed writes" : "is unreachable", next.to_string());
        return next;
      });
  return !report || report->ok;
}

}  // namespace hatch::runtime
