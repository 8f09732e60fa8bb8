#include "runtime/membership.hpp"

#include <algorithm>

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
    std::vector<std::string> watched;
    for (std::string& node : hooks_.nodes()) {
      if (!left(node)) watched.push_back(std::move(node));
    }
    return watched;
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
    left_.insert(node);
  }
  DrainReply reply;
  for (const auto& [name, placement] : directory_.placements()) {
    if (!has_home(placement, node)) continue;
    const Placement next = without_home(placement, node);
    try {
      const TransitionReport report = hooks_.transition(name, next);
      if (report.ok) {
        reply.moved.push_back(name + " -> " + next.to_string());
      } else {
        reply.failed.push_back(name + ": " + report.error);
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
  for (const std::string& home : homes) left_.erase(home);
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
  spdlog::error("node {} has answered no heartbeat for {} ms (node timeout {} ms): taken as dead",
                node, silent.count(), timeout_.count());
  for (const auto& [name, placement] : directory_.placements()) {
    if (!has_home(placement, node)) continue;
    try {
      const ComponentRecord record = directory_.record(name);
      if (placement.kind == Placement::Kind::replicated && homes_of(placement).size() > 1) {
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
