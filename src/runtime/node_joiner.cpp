#include "runtime/node_joiner.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "runtime/control.hpp"
#include "runtime/remote_component.hpp"

namespace hatch::runtime {

NodeJoiner::NodeJoiner(std::shared_ptr<rpc::Network> network, asio::io_context& io,
                       const rpc::ClusterSecret& secret, rpc::ConnectionOptions options,
                       Settings settings, std::function<bool()> has_origin)
    : settings_(std::move(settings)),
      has_origin_(std::move(has_origin)),
      // The door sends no requests; one that did would go unanswered until its deadline.
      door_(std::make_shared<rpc::Peer>(std::move(network), io, settings_.door, secret,
                                        rpc::PeerIdentity{"node", settings_.self},
                                        std::move(options),
                                        [](const std::shared_ptr<rpc::Connection>&,
                                           const rpc::FrameHeader&, internal::Payload) {})) {
  thread_ = std::thread([this] { run(); });
}

NodeJoiner::~NodeJoiner() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  door_->close("the node is stopping");
}

void NodeJoiner::run() {
  std::chrono::milliseconds pause = kFirstPause;
  std::uint64_t failures = 0;
  auto last_logged = std::chrono::steady_clock::time_point{};
  std::string last_error;
  do {
    if (has_origin_()) {
      pause = settings_.rejoin;
      continue;
    }
    const std::string error = join_once();
    if (error.empty()) {
      spdlog::info(
          "node {}: joined the origin at {}{}", settings_.self, settings_.door,
          failures == 0 ? std::string() : " after " + std::to_string(failures) + " failed tries");
      failures = 0;
      last_error.clear();
      pause = settings_.rejoin;
      continue;
    }
    ++failures;
    const auto now = std::chrono::steady_clock::now();
    if (error != last_error || now - last_logged >= kMaxPause) {
      spdlog::warn("node {}: could not join the origin at {} (try {}; trying again): {}",
                   settings_.self, settings_.door, failures, error);
      last_error = error;
      last_logged = now;
    }
    pause = std::min(failures == 1 ? kFirstPause : pause * 2, kMaxPause);
  } while (wait(pause));
}

std::string NodeJoiner::join_once() {
  try {
    // The origin answers Done once it has reached the node: only a failure tells.
    static_cast<void>(call_remote(
        *door_, kControlComponent, static_cast<std::uint32_t>(ControlMethod::join),
        encode(JoinRequest{settings_.self}), settings_.timeout, "control operation join"));
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

bool NodeJoiner::wait(std::chrono::milliseconds pause) {
  const auto until = std::chrono::steady_clock::now() + pause;
  MutexLock lock(mu_);
  while (!stopping_ && std::chrono::steady_clock::now() < until) wake_.wait_until(lock, until);
  return !stopping_;
}

}  // namespace hatch::runtime
