#include "rpc/listener.hpp"

#include <algorithm>
#include <mutex>

#include <spdlog/spdlog.h>

#include "core/metrics.hpp"
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
  acceptor_->async_accept(
      [this](const boost::system::error_code& ec, std::unique_ptr<Stream> stream,
             const std::string& from) { on_accept(ec, std::move(stream), from); });
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
  auto handshake = std::make_shared<Handshake>();
  handshake->stream = stream.get();
  handshake->from = from;
  handshake->source = source_of(from);
  const std::string refused = enter(handshake);
  if (refused.empty()) {
    asio::co_spawn(io_, admit(std::move(stream), std::move(handshake)), asio::detached);
  } else {
    if (options_.metrics) options_.metrics->refused_peer("cap");
    if (auto n = refuse_log_.admit()) {
      spdlog::warn("{}: refused peer {}: {} ({} refused like it)", label_, from, refused, *n);
    }
  }
  accept_next();
}

void Listener::Handshake::close() {
  std::lock_guard lock(mu);
  if (stream != nullptr) stream->close();
}

std::string Listener::enter(const std::shared_ptr<Handshake>& handshake) {
  std::lock_guard lock(mu_);
  const std::string& source = handshake->source;
  const auto mine = by_source_.find(source);
  if (mine != by_source_.end() && mine->second >= limits_.max_handshakes_per_source) {
    return std::to_string(mine->second) + " connections from " + source +
           " are still authenticating (at most " +
           std::to_string(limits_.max_handshakes_per_source) + " per address)";
  }
  // Those already closed to make room still count until their handshakes end, which is soon:
  // never more than twice the cap at once.
  const std::string full = std::to_string(handshakes_.size() - evicted_) +
                           " connections are still authenticating (at most " +
                           std::to_string(limits_.max_handshakes) + ")";
  if (handshakes_.size() - evicted_ >= limits_.max_handshakes) {
    const auto oldest = std::find_if(handshakes_.begin(), handshakes_.end(),
                                     [](const auto& h) { return !h->evicted; });
    if (oldest == handshakes_.end() || handshakes_.size() >= 2 * limits_.max_handshakes) {
      return full;
    }
    (*oldest)->evicted = true;
    ++evicted_;
    asio::post(io_, [victim = *oldest] { victim->close(); });
    if (auto n = refuse_log_.admit()) {
      spdlog::warn("{}: closed peer {}, which had waited longest, for {}: {} ({} closed like it)",
                   label_, (*oldest)->from, handshake->from, full, *n);
    }
  }
  ++by_source_[source];
  handshake->at = handshakes_.insert(handshakes_.end(), handshake);
  return {};
}

void Listener::leave(const Handshake& handshake) {
  std::lock_guard lock(mu_);
  if (handshake.evicted) --evicted_;
  auto it = by_source_.find(handshake.source);
  if (--it->second == 0) by_source_.erase(it);
  handshakes_.erase(handshake.at);
}

asio::awaitable<void> Listener::admit(std::unique_ptr<Stream> stream,
                                      std::shared_ptr<Handshake> handshake) {
  // The timer closes the stream if the handshake takes too long. Its handler may run after the
  // coroutine has handed the stream over, so it reaches the stream through the handshake, which
  // the coroutine clears first.
  asio::steady_timer timer(io_, limits_.handshake_timeout);
  timer.async_wait([handshake](const boost::system::error_code& e) {
    if (!e) handshake->close();
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
    std::lock_guard lock(handshake->mu);
    handshake->stream = nullptr;
  }
  leave(*handshake);
  const std::string& from = handshake->from;
  if (!refused.empty()) {
    if (options_.metrics) options_.metrics->refused_peer("handshake");
    if (auto n = refuse_log_.admit()) {
      spdlog::warn("{}: refused peer {}: {} ({} refused like it)", label_, from, refused, *n);
    }
    co_return;
  }
  admit_(std::make_shared<Connection>(std::move(stream), from, peer, options_), peer, from);
}

}  // namespace hatch::rpc
