#include "rpc/listener.hpp"

#include <mutex>

#include <spdlog/spdlog.h>

#include "rpc/handshake.hpp"

namespace hatch::rpc {

Listener::Listener(Network& network, asio::io_context& io, const std::string& address,
                   const ClusterSecret& secret, std::chrono::milliseconds handshake_timeout,
                   ConnectionOptions options, Admit admit)
    : io_(io),
      acceptor_(network.listen(io, address)),
      secret_(secret),
      handshake_timeout_(handshake_timeout),
      options_(options),
      admit_(std::move(admit)) {}

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
}

void Listener::accept_next() {
  acceptor_->async_accept([this](const boost::system::error_code& ec,
                                 std::unique_ptr<Stream> stream, const std::string& from) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      spdlog::warn("{}: accept failed: {}", label_, ec.message());
    } else {
      asio::co_spawn(io_, admit(std::move(stream), from), asio::detached);
    }
    accept_next();
  });
}

asio::awaitable<void> Listener::admit(std::unique_ptr<Stream> stream, std::string from) {
  // The timer closes the stream if the handshake takes too long. Its handler may run after the
  // coroutine has handed the stream over, so it reaches the stream through a guard that the
  // coroutine clears first.
  struct Guard {
    std::mutex mu;
    Stream* stream;
  };
  auto guard = std::make_shared<Guard>();
  guard->stream = stream.get();
  asio::steady_timer timer(io_, handshake_timeout_);
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
    refused = "the handshake did not complete (" + e.code().message() + ")";
  }
  timer.cancel();
  {
    std::lock_guard lock(guard->mu);
    guard->stream = nullptr;
  }
  if (!refused.empty()) {
    spdlog::warn("{}: refused peer {}: {}", label_, from, refused);
    co_return;
  }
  admit_(std::make_shared<Connection>(std::move(stream), from, peer, options_), peer, from);
}

}  // namespace hatch::rpc
