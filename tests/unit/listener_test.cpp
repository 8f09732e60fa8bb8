// The listener's caps on connections still authenticating, against silent peers on loopback.
#include "rpc/listener.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <future>
#include <vector>

#include <gtest/gtest.h>

#include "node_process.hpp"
#include "rpc/handshake.hpp"
#include "rpc/io_pool.hpp"

namespace hatch::rpc {
namespace {

const ClusterSecret kSecret = ClusterSecret::from_bytes("a secret of the listener tests");

// Reads from `fd` until the other end closes it: true at its end, false after a minute.
bool closed_by_peer(int fd) {
  timeval minute{60, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &minute, sizeof minute);
  char c;
  return ::read(fd, &c, 1) == 0;
}

// A listener over TCP on loopback with its I/O threads, which stop before it goes.
class ListenerTest : public testing::Test {
 protected:
  void listen(const ListenerLimits& limits) {
    listener_ = std::make_unique<Listener>(
        *network_, io_.context(), "127.0.0.1:0", kSecret, limits, ConnectionOptions{},
        [this](std::shared_ptr<Connection>, const PeerIdentity& peer, const std::string&) {
          admitted_.set_value(peer);
        });
    listener_->start("listener test");
  }
  ~ListenerTest() override {
    io_.stop();
    listener_.reset();
  }

  // Runs the client's handshake, as `name`, over a new connection; true if it completed.
  bool handshake_as(const std::string& name) {
    std::unique_ptr<Stream> stream =
        network_->connect(io_.context(), listener_->address(),
                          std::chrono::steady_clock::now() + std::chrono::minutes(1));
    Stream* client = stream.get();
    // Built out here: GCC 12 mishandles a temporary in a lambda coroutine's co_await.
    const PeerIdentity self{"node", name};
    std::future<void> done = asio::co_spawn(
        io_.context(),
        [client, &self]() -> asio::awaitable<void> {
          co_await handshake_as_client(*client, kSecret, self);
        },
        asio::use_future);
    bool ok = done.wait_for(std::chrono::minutes(1)) == std::future_status::ready;
    try {
      if (ok) done.get();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the handshake failed: " << e.what();
      ok = false;
    }
    stream->close();
    if (!ok) io_.stop();  // ends a handshake still under way, before its stream goes
    return ok;
  }

  const std::shared_ptr<Network> network_ = tcp_network();
  IoPool io_{2};
  std::promise<PeerIdentity> admitted_;
  std::unique_ptr<Listener> listener_;
};

TEST_F(ListenerTest, SilentPeersThatFillEveryHandshakeSlotDoNotKeepOutAPeerThatProvesTheSecret) {
  // Four slots, and a handshake timeout far beyond the test: only the cap can decide.
  ListenerLimits limits;
  limits.handshake_timeout = std::chrono::minutes(10);
  limits.max_handshakes = 4;
  limits.max_handshakes_per_source = 8;
  listen(limits);
  std::vector<int> silent;
  for (int i = 0; i < 4; ++i) silent.push_back(test::connect_raw(listener_->address()));

  // The kernel hands connections over in the order they came: this one finds the slots full.
  EXPECT_TRUE(handshake_as("proven"));
  std::future<PeerIdentity> in = admitted_.get_future();
  if (in.wait_for(std::chrono::minutes(1)) == std::future_status::ready) {
    EXPECT_EQ(in.get().name, "proven");
  } else {
    ADD_FAILURE() << "the peer that proved the secret was not let in";
  }
  // It took the place of the peer that had waited longest.
  EXPECT_TRUE(closed_by_peer(silent.front()));
  for (int fd : silent) ::close(fd);
}

}  // namespace
}  // namespace hatch::rpc
