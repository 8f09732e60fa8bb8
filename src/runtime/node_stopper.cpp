#include "runtime/node_stopper.hpp"

#include <csignal>

#include <spdlog/spdlog.h>

namespace hatch::runtime {

NodeStopper::NodeStopper(asio::io_context& io, std::string address,
                         std::chrono::milliseconds drain_timeout, Hooks hooks)
    : address_(std::move(address)),
      drain_timeout_(drain_timeout),
      hooks_(std::move(hooks)),
      signals_(io, SIGTERM, SIGINT) {
  signals_.async_wait([this](const boost::system::error_code& e, int signal) {
    if (!e) on_signal(signal);
  });
}

NodeStopper::~NodeStopper() {
  join();
}

void NodeStopper::cancel() {
  asio::post(signals_.get_executor(), [this] {
    boost::system::error_code ignored;
    signals_.cancel(ignored);
  });
}

void NodeStopper::join() {
  std::thread draining;
  {
    MutexLock lock(mu_);
    draining.swap(drainer_);
  }
  if (draining.joinable()) draining.join();
}

void NodeStopper::on_signal(int signal) {
  bool draining = false;
  {
    MutexLock lock(mu_);
    draining = drain_timeout_.count() > 0 && !drainer_.joinable() && hooks_.has_origin();
    if (draining) drainer_ = std::thread([this, signal] { drain(signal); });
  }
  if (!draining) {
    spdlog::info("node {}: signal {} received, shutting down", address_, signal);
    hooks_.stop();
    return;
  }
  spdlog::info(
      "node {}: signal {} received: asking the origin to move its components away "
      "(at most {} ms; signal again to stop at once)",
      address_, signal, drain_timeout_.count());
  signals_.async_wait([this](const boost::system::error_code& e, int again) {
    if (e) return;
    spdlog::warn("node {}: signal {} received again: stopping without waiting for the drain",
                 address_, again);
    hooks_.stop();
  });
}

void NodeStopper::drain(int signal) {
  try {
    const DrainReply reply = hooks_.drain(signal == SIGTERM ? "SIGTERM" : "SIGINT");
    for (const std::string& failure : reply.failed) {
      spdlog::error("node {}: the origin could not move {}", address_, failure);
    }
    spdlog::info("node {}: drained ({} components moved away, {} could not be); shutting down",
                 address_, reply.moved.size(), reply.failed.size());
  } catch (const std::exception& ex) {
    spdlog::error("node {}: the drain failed ({}); shutting down with its components", address_,
                  ex.what());
  }
  hooks_.stop();
}

}  // namespace hatch::runtime
