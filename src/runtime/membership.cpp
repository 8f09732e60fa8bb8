#include "runtime/membership.hpp"

#include <algorithm>
#include <iterator>

#include <spdlog/spdlog.h>

#include "runtime/placement_binding.hpp"

namespace hatch::runtime {
namespace {

bool has_home(const Placement& placement, const std::string& node) {
  const std::vector<std::string> homes = homes_of(placement);
  return std::find(homes.begin(), homes.end(), node) != homes.end();
}

}  // namespace

Membership::Membership(Directory& directory, std::chrono::milliseconds interval,
                       std::chrono::milliseconds timeout, Hooks hooks)
    : directory_(directory), timeout_(timeout), hooks_(std::move(hooks)) {
  if (interval.count() <= 0) return;
  NodeMonitor::Hooks watch;
  watch.nodes = [this] {
    std::vector<std::string> dialled = hooks_.nodes();
    std::set<std::string> watched(dialled.begin(), dialled.end());
    MutexLock lock(mu_);
    watched.insert(listed_.begin(), listed_.end());
    watched.insert(joined_.begin(), joined_.end());
    for (const std::string& node : left_) watched.erase(node);
    return std::vector<std::string>(watched.begin(), watched.end());
  };
  watch.ping = hooks_.ping;
  watch.died = [this](const std::string& node, std::chrono::milliseconds silent) {
    died(node, silent);
  };
  watch.back = [this](const std::string& node) { back(node); };
  monitor_ = std::make_unique<NodeMonitor>(interval, timeout, std::move(watch));
}

Membership::~Membership() {
  stop();
}

void Membership::stop() {
  monitor_.reset();
}

DrainReply Membership::drain(const std::string& node, const std::string& reason) {
  spdlog::info("node {} is leaving ({}): moving its components away", node, reason);
  {
    MutexLock lock(mu_);
    if (left_.insert(node).second) bump();
  }
  DrainReply reply;
  for (const auto& [name, placement] : directory_.placements()) {
    if (!has_home(placement, node)) continue;
    try {
      const std::optional<TransitionReport> report =
          hooks_.transition(name, [&](const ComponentRecord& now) -> std::optional<Placement> {
            if (!has_home(now.placement, node)) return std::nullopt;
            return without_home(now.placement, node);
          });
      if (!report) continue;
      if (report->ok) {
        reply.moved.push_back(name + " -> " + report->to);
      } else {
        reply.failed.push_back(name + ": " + report->error);
      }
    } catch (const std::exception& ex) {
      reply.failed.push_back(name + ": " + ex.what());
    }
  }
  for (const std::string& failure : reply.failed) {
    spdlog::error("node {} leaves, and could not take along {}", node, failure);
  }
  spdlog::info("node {} drained: {} components moved away, {} could not be", node,
               reply.moved.size(), reply.failed.size());
  return reply;
}

void Membership::placed(const std::vector<std::string>& homes) {
  MutexLock lock(mu_);
  for (const std::string& home : homes) {
    if (left_.erase(home) > 0) bump();
  }
}

void Membership::listed(std::vector<std::string> nodes) {
  std::set<std::string> now(std::make_move_iterator(nodes.begin()),
                            std::make_move_iterator(nodes.end()));
  MutexLock lock(mu_);
  if (now == listed_) return;
  listed_ = std::move(now);
  bump();
}

bool Membership::joined(const std::string& node) {
  MutexLock lock(mu_);
  if (joined_.size() >= kMaxJoined && !joined_.contains(node)) return false;
  const bool rejoined = left_.erase(node) > 0;
  if (joined_.insert(node).second || rejoined) bump();
  return true;
}

std::vector<std::string> Membership::members() const {
  std::set<std::string> all;
  {
    MutexLock lock(mu_);
    all.insert(listed_.begin(), listed_.end());
    all.insert(joined_.begin(), joined_.end());
    for (const std::string& node : left_) all.erase(node);
  }
  std::vector<std::string> out;
  for (const std::string& node : all) {
    if (!dead(node)) out.push_back(node);
  }
  return out;
}

std::uint64_t Membership::version() const {
  MutexLock lock(mu_);
  return version_;
}

bool Membership::wait_changed(std::uint64_t seen, std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(mu_);
  while (version_ <= seen && std::chrono::steady_clock::now() < until) {
    changed_.wait_until(lock, until);
  }
  return version_ > seen;
}

void Membership::bump() {
  ++version_;
  changed_.notify_all();
}

bool Membership::dead(const std::string& node) const {
  return monitor_ && monitor_->dead(node);
}

bool Membership::left(const std::string& node) const {
  MutexLock lock(mu_);
  return left_.contains(node);
}

std::vector<Origin::LostComponent> Membership::lost() const {
  MutexLock lock(mu_);
  return lost_;
}

void Membership::died(const std::string& node, std::chrono::milliseconds silent) {
  {
    MutexLock lock(mu_);
    bump();
  }
  spdlog::error("node {} has answered no heartbeat for {} ms (node timeout {} ms): taken as dead",
                node, silent.count(), timeout_.count());
  for (const auto& [name, placement] : directory_.placements()) {
    if (!has_home(placement, node)) continue;
    try {
      const ComponentRecord record = directory_.record(name);
      if (has_fellow_replica(placement, node)) {
        spdlog::warn("'{}' loses its replica on dead node {}", name, node);
        hooks_.replica_lost(name, node);
      } else if (record.component->kind == StateKind::stateless) {
        hooks_.create_again(name, node);
      } else {
        {
          MutexLock lock(mu_);
          lost_.push_back({name, node, placement.to_string()});
        }
        spdlog::error(
            "component '{}' kept its {} state only on dead node {} ({}): that state is lost, and "
            "calls to it fail until it is placed again",
            name, record.component->kind == StateKind::keyed ? "keyed" : "whole", node,
            placement.to_string());
      }
    } catch (const std::exception& ex) {
      spdlog::error("could not act on '{}' after node {} died: {}", name, node, ex.what());
    }
  }
}

void Membership::back(const std::string& node) {
  {
    MutexLock lock(mu_);
    bump();
  }
  spdlog::warn("node {} answers heartbeats again", node);
  const Design now = directory_.placements();
  std::vector<std::string> reachable;
  {
    MutexLock lock(mu_);
    for (auto it = lost_.begin(); it != lost_.end();) {
      auto placed = now.find(it->component);
      if (it->node == node && placed != now.end() && placed->second.to_string() == it->placement) {
        reachable.push_back(it->component);
        it = lost_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const std::string& component : reachable) {
    spdlog::warn("'{}' on node {} is reachable again", component, node);
  }
}

}  // namespace hatch::runtime
