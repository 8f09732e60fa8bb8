// A connect made while its I/O context runs no more (a node or origin shutting down, with a
// failover still connecting) gives up at its deadline, over either network: the dial or the
// handshake it started will never run, and waiting for it held the stopping pool's last thread
// for good.
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "rpc/memory_network.hpp"

namespace hatch::rpc {
namespace {

// What connect() through a context that no thread runs says, or that it did not return.
std::string connect_through_a_stopped_context(Network& dialer, const std::string& address) {
  asio::io_context stopped;  // no thread runs it
  const ClusterSecret secret = ClusterSecret::from_bytes("a secret of the connect deadline tests");
  std::future<std::string> outcome = std::async(std::launch::async, [&]() -> std::string {
    try {
      connect(
          dialer, stopped, address, secret, PeerIdentity{"node", "client:1"}, ConnectionOptions{},
          [](const std::shared_ptr<Connection>&, const FrameHeader&, internal::Payload) {},
          Clock::now() + std::chrono::milliseconds(50));
      return "connected";
    } catch (const ConnectFailure& e) {
      return e.what();
    }
  });
  if (outcome.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "the connect waits for work that no thread will run";
  }
  return outcome.get();
}

TEST(ConnectDeadline, OverTheMemoryNetworkTheHandshakeIsNotWaitedForPastTheDeadline) {
  auto net = MemoryNetwork::create();
  IoPool server_io(1);
  std::unique_ptr<Acceptor> acceptor = net->host("server")->listen(server_io.context(), "server:0");
  EXPECT_EQ(connect_through_a_stopped_context(*net->host("client"), acceptor->address()),
            "could not connect before the deadline");
}

TEST(ConnectDeadline, OverTcpTheDialIsNotWaitedForPastTheDeadline) {
  IoPool server_io(1);
  std::unique_ptr<Acceptor> acceptor = tcp_network()->listen(server_io.context(), "127.0.0.1:0");
  EXPECT_EQ(connect_through_a_stopped_context(*tcp_network(), acceptor->address()),
            "could not connect before the deadline");
}

}  // namespace
}  // namespace hatch::rpc
