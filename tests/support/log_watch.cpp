#include "log_watch.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace hatch::test {

class LogWatch::Sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  bool wait_for(const std::string& text, int times) {
    std::unique_lock lock(lines_mu_);
    return changed_.wait_for(lock, std::chrono::minutes(1),
                             [&] { return count_locked(text) >= times; });
  }

  bool wait_beyond(int seen) {
    std::unique_lock lock(lines_mu_);
    return changed_.wait_for(lock, std::chrono::minutes(1),
                             [&] { return static_cast<int>(lines_.size()) > seen; });
  }

  int lines() {
    std::lock_guard lock(lines_mu_);
    return static_cast<int>(lines_.size());
  }

  int count(const std::string& text) {
    std::lock_guard lock(lines_mu_);
    return count_locked(text);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string line(msg.payload.data(), msg.payload.size());
    {
      std::lock_guard lock(lines_mu_);
      lines_.push_back(std::move(line));
    }
    changed_.notify_all();
  }
  void flush_() override {}

 private:
  int count_locked(const std::string& text) const {
    return static_cast<int>(std::count_if(lines_.begin(), lines_.end(), [&](const std::string& l) {
      return l.find(text) != std::string::npos;
    }));
  }

  std::mutex lines_mu_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;  // guarded by lines_mu_
};

LogWatch::LogWatch() : sink_(std::make_shared<Sink>()) {
  spdlog::default_logger()->sinks().push_back(sink_);
}

LogWatch::~LogWatch() {
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
}

bool LogWatch::wait_for(const std::string& text, int times) const {
  return sink_->wait_for(text, times);
}

int LogWatch::count(const std::string& text) const {
  return sink_->count(text);
}

int LogWatch::lines() const {
  return sink_->lines();
}

bool LogWatch::wait_beyond(int seen) const {
  return sink_->wait_beyond(seen);
}

}  // namespace hatch::test
