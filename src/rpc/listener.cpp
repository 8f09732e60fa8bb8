#include "rpc/listener.hpp"

#include <mutex>

#include <spdlog/spdlog.h>

#include "rpc/handshake.hpp"

namespace hatch::rpc {

namespace {
// Waits after a failed accept: the first, and the longest.
constexpr std::chrono::milliseconds kFirstBackoff{10};
constexpr std::chrono::milliseconds kLongestBackoff{1000};

// The address part of "host:port" or "[v6]:port": what per-source caps count by.
std::string source_of(const std::string& from) {
  const auto colon = from.rfind(':');
  return colon == std::string::npos ? from : from.substr(0, colon);
}
}  // namespace

Listener::Listener(Network& network, asio::io_context& io, const std::string& address,
                   const ClusterSecret& secret, ListenerLimits limits, ConnectionOptions options,
                   Admit admit)
    : io_(io),
      acceptor_(network.listen(io, address)),
      secret_(secret),
      limits_(limits),
      options_(options),
      admit_(std::move(admit)),
      backoff_(io) {}

Listener::~Listener() {
  close();
}

std::string Listener::address() const {
  return acceptor_->address();
}

void Listener::start(std::string label) {
  label_ = std::move(label);
  accept_next();
}

void Listener::close() {
  acceptor_->close();
  asio::post(io_, [this] { backoff_.cancel(); });
}

void Listener::accept_next() {
  acceptor_->async_accept([this](const boost::system::error_code& ec,
                                 std::unique_ptr<Stream> stream, const std::string& from) {
    on_accept(ec, std::move(stream), from);
  });
}

void Listener::on_accept(const boost::system::error_code& ec, std::unique_ptr<Stream> stream,
                         const std::string& from) {
  if (ec == asio::error::operation_aborted) return;
  if (ec) {
    // Most often no descriptor is left (EMFILE): retrying at once would spin. Wait, longer
    // each time, for connections to end.
    delay_ = std::min(kLongestBackoff, delay_.count() == 0 ? kFirstBackoff : delay_ * 2);
    if (auto n = accept_log_.admit()) {
      spdlog::warn("{}: accept failed {} time(s): {}; trying again in {} ms", label_, *n,
                   ec.message(), delay_.count());
    }
    backoff_.expires_after(delay_);
    backoff_.async_wait([this](const boost::system::error_code& e) {
      if (!e) accept_next();
    });
    return;
  }
  delay_ = std::chrono::milliseconds(0);
  std::string source = source_of(from);
  const std::string refused = enter(source);
  if (refused.empty()) {
    asio::co_spawn(io_, admit(std::move(stream), from, std::move(source)), asio::detached);
  } else if (auto n = refuse_log_.admit()) {
    spdlog::warn("{}: refused peer {}: {} ({} refused like it)", label_, from, refused, *n);
  }
  accept_next();
}

std::string Listener::enter(const std::string& source) {
  std::lock_guard lock(mu_);
  if (handshakes_ >= limits_.max_handshakes) {
    return std::to_string(handshakes_) + " connections are still authenticating (at most " +
           std::to_string(limits_.max_handshakes) + ")";
  }
  std::size_t& mine = by_source_[source];
  if (mine >= limits_.max_handshakes_per_source) {
    return std::to_string(mine) + " connections from " + source +
           " are still authenticating (at most " +
           std::to_string(limits_.max_handshakes_per_source) + " per address)";
  }
  ++mine;
  ++handshakes_;
  return {};
}

void Listener::leave(const std::string& source) {
  std::lock_guard lock(mu_);
  --handshakes_;
  auto it = by_source_.find(source);
  if (--it->second == 0) by_source_.erase(it);
}

asio::awaitable<void> Listener::admit(std::unique_ptr<Stream> stream, std::string from,
                                      std::string source) {
  // The timer closes the stream if the handshake takes too long. Its handler may run after the
  // coroutine has handed the stream over, so it reaches the stream through a guard that the
  // coroutine clears first.
  struct Guard {
    std::mutex mu;
    Stream* stream;
  };
  auto guard = std::make_shared<Guard>();
  guard->stream = stream.get();
  asio::steady_timer timer(io_, limits_.handshake_timeout);
  timer.async_wait([guard](const boost::system::error_code& e) {
    std::lock_guard lock(guard->mu);
    if (!e && guard->stream != nullptr) guard->stream->close();
  });
  PeerIdentity peer;
  std::string refused;
  try {
    peer = co_await handshake_as_server(*stream, secret_);
  } catch (const HandshakeError& e) {
    refused = e.what();
  } catch (const boost::system::system_error& e) {
    refused = "the handshake did not complete (" + std::string(e.what()) + ")";
  }
  timer.cancel();
  {
    std::lock_guard lock(guard->mu);
    guard->stream = nullptr;
  }
  leave(source);
  if (!refused.empty()) {
    if (auto n = refuse_log_.admit()) {
      spdlog::warn("{}: refused peer {}: {} ({} refused like it)", label_, from, refused, *n);
    }
    co_return;
  }
  admit_(std::make_shared<Connection>(std::move(stream), from, peer, options_), peer, from);
}

}  // namespace hatch::rpc
