#include "runtime/node_monitor.hpp"

#include <spdlog/spdlog.h>

#include "hatch/error.hpp"

namespace hatch::runtime {

NodeMonitor::NodeMonitor(std::chrono::milliseconds interval, std::chrono::milliseconds timeout,
                         Hooks hooks)
    : interval_(interval), timeout_(timeout), hooks_(std::move(hooks)) {
  if (interval_.count() <= 0 || timeout_ < interval_) {
    throw UsageError("the heartbeat interval (" + std::to_string(interval_.count()) +
                     " ms) must be positive and at most the node timeout (" +
                     std::to_string(timeout_.count()) + " ms)");
  }
  thread_ = std::thread([this] { run(); });
}

NodeMonitor::~NodeMonitor() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool NodeMonitor::dead(const std::string& node) const {
  MutexLock lock(mu_);
  auto it = states_.find(node);
  return it != states_.end() && it->second.dead;
}

void NodeMonitor::run() {
  for (;;) {
    const Clock::time_point tick = Clock::now();
    std::vector<std::pair<std::string, std::chrono::milliseconds>> died;
    std::vector<std::string> back;
    try {
      const std::vector<std::string> nodes = hooks_.nodes();
      const std::vector<bool> answered = hooks_.ping(nodes, tick + interval_);
      judge(nodes, answered, tick, died, back);
      for (const auto& [node, silent] : died) hooks_.died(node, silent);
      for (const std::string& node : back) hooks_.back(node);
    } catch (const std::exception& ex) {
      spdlog::error("the node heartbeat failed this tick: {}", ex.what());
    }
    MutexLock lock(mu_);
    while (!stopping_ && Clock::now() < tick + interval_) wake_.wait_until(lock, tick + interval_);
    if (stopping_) return;
  }
}

void NodeMonitor::judge(const std::vector<std::string>& nodes, const std::vector<bool>& answered,
                        Clock::time_point started,
                        std::vector<std::pair<std::string, std::chrono::milliseconds>>& died,
                        std::vector<std::string>& back) {
  const Clock::time_point now = Clock::now();
  MutexLock lock(mu_);
  for (std::size_t i = 0; i < nodes.size() && i < answered.size(); ++i) {
    auto it = states_.try_emplace(nodes[i], State{started, false}).first;
    State& state = it->second;
    if (answered[i]) {
      if (state.dead) back.push_back(nodes[i]);
      state = State{now, false};
      continue;
    }
    const auto silent =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - state.last_answer);
    if (!state.dead && silent >= timeout_) {
      state.dead = true;
      died.emplace_back(nodes[i], silent);
    }
  }
}

}  // namespace hatch::runtime
