#include "raw_peer.hpp"

#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>

#include "rpc/handshake.hpp"

namespace hatch::test {

namespace {
constexpr auto kGuard = std::chrono::minutes(1);
}  // namespace

struct RawPeer::State {
  std::mutex mu;
  std::vector<std::shared_ptr<std::string>> writing;  // kept alive until written
  std::size_t unfinished = 0;
  std::promise<void> all_sent;
  bool waiting = false;
};

RawPeer::RawPeer(const std::string& secret, const std::string& address)
    : io_(2), state_(std::make_shared<State>()) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  stream_ = rpc::tcp_network()->connect(io_.context(), address, deadline);
  const rpc::ClusterSecret cluster = rpc::ClusterSecret::from_bytes(secret);
  rpc::Stream* raw = stream_.get();
  const rpc::PeerIdentity self{"node", "raw-peer"};
  auto handshake = [raw, &cluster, &self]() -> asio::awaitable<void> {
    co_await rpc::handshake_as_client(*raw, cluster, self);
  };
  std::future<void> done = asio::co_spawn(io_.context(), handshake, asio::use_future);
  if (done.wait_until(deadline) != std::future_status::ready) {
    stream_->close();
    done.wait();
    throw std::runtime_error("the handshake with " + address + " did not complete");
  }
  done.get();
}

RawPeer::~RawPeer() {
  stream_->close();
  io_.stop();
}

void RawPeer::send(std::string bytes) {
  auto owned = std::make_shared<std::string>(std::move(bytes));
  auto buffer = std::make_shared<asio::const_buffer>(owned->data(), owned->size());
  {
    std::lock_guard lock(state_->mu);
    ++state_->unfinished;
  }
  asio::post(stream_->executor(), [this, owned, buffer, state = state_] {
    stream_->async_write(std::span<const asio::const_buffer>(buffer.get(), 1),
                         [owned, buffer, state](const boost::system::error_code&, std::size_t) {
                           std::lock_guard lock(state->mu);
                           if (--state->unfinished == 0 && state->waiting) {
                             state->waiting = false;
                             state->all_sent.set_value();
                           }
                         });
  });
}

bool RawPeer::sent_all() {
  std::future<void> done;
  {
    std::lock_guard lock(state_->mu);
    if (state_->unfinished == 0) return true;
    state_->all_sent = std::promise<void>();
    state_->waiting = true;
    done = state_->all_sent.get_future();
  }
  return done.wait_for(kGuard) == std::future_status::ready;
}

bool RawPeer::wait_closed() {
  auto closed = std::make_shared<std::promise<void>>();
  auto buffer = std::make_shared<std::vector<char>>(1 << 16);
  auto read = std::make_shared<std::function<void()>>();
  *read = [this, closed, buffer, weak = std::weak_ptr<std::function<void()>>(read)] {
    stream_->async_read_some(asio::buffer(*buffer),
                             [closed, weak](const boost::system::error_code& ec, std::size_t) {
                               if (ec) {
                                 closed->set_value();
                               } else if (auto again = weak.lock()) {
                                 (*again)();
                               }
                             });
  };
  asio::post(stream_->executor(), [read] { (*read)(); });
  const bool done = closed->get_future().wait_for(kGuard) == std::future_status::ready;
  if (!done) stream_->close();
  return done;
}

std::string RawPeer::request(std::uint32_t component, std::uint32_t method,
                             std::uint64_t call_id) {
  rpc::FrameHeader header;
  header.kind = rpc::FrameKind::request;
  header.component = component;
  header.method = method;
  header.call_id = call_id;
  const std::string args = "\x90";  // an empty argument array
  return rpc::encode_head(header, args.size(), internal::WireLimits{}) + args;
}

std::string RawPeer::half_frame(std::uint32_t total, std::size_t sent) {
  rpc::FrameHeader header;
  header.kind = rpc::FrameKind::request;
  header.component = 1;
  std::string head = rpc::encode_head(header, total, internal::WireLimits{});
  return head + std::string(sent, 'x');
}

}  // namespace hatch::test
