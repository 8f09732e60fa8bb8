// Which of an origin's connections a node obeys: the newest it admitted. An order that arrives on
// an older one (read before the newer connection was admitted, served after) is refused, and
// the newer connection stays the origin's: before this rule, such an order made the older
// connection the origin again and closed the newer one, so the origin's next order there (the
// ungate of an abandoned transition) was lost and the home stayed gated.
//
// The raw connections are made with rpc::connect over an in-memory network, so the test
// chooses their order exactly.
#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "hatch/hatch.hpp"
#include "rpc/cluster_secret.hpp"
#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "rpc/memory_network.hpp"
#include "runtime/control.hpp"

namespace hatch::test {
namespace {

using runtime::ControlMethod;

const char* const kSecret = "a cluster secret of the origin connection tests";

class OriginConnections : public ::testing::Test {
 protected:
  OriginConnections() : net_(rpc::MemoryNetwork::create()) {
    NodeOptions o;
    o.listen = "a:0";
    o.secret = kSecret;
    o.network = net_->host("a");
    node_ = std::make_unique<Node>(Catalog::program(), o);
  }
  ~OriginConnections() override {
    node_.reset();
    pool_.stop();
  }

  // A connection to the node from `host`, proving the secret as the origin `incarnation`.
  std::shared_ptr<rpc::Connection> connect_as(const std::string& host,
                                              const std::string& incarnation) {
    return rpc::connect(
        *net_->host(host), pool_.context(), node_->address(), secret_,
        rpc::PeerIdentity{"origin", incarnation}, rpc::ConnectionOptions{},
        [](const std::shared_ptr<rpc::Connection>&, const rpc::FrameHeader&, internal::Payload) {},
        deadline());
  }

  // Sends the control order `method` on `connection`; returns its status (connection_lost
  // when the node closed the connection).
  static StatusCode order(rpc::Connection& connection, ControlMethod method, std::string body) {
    rpc::FrameHeader h;
    h.component = runtime::kControlComponent;
    h.method = static_cast<std::uint32_t>(method);
    return connection.call(h, std::move(body), deadline()).header.status;
  }
  static StatusCode heartbeat(rpc::Connection& connection) {
    return order(connection, ControlMethod::heartbeat, runtime::encode(runtime::Done{}));
  }

  static rpc::Clock::time_point deadline() { return rpc::Clock::now() + std::chrono::seconds(30); }

  std::shared_ptr<rpc::MemoryNetwork> net_;
  const rpc::ClusterSecret secret_ = rpc::ClusterSecret::from_bytes(kSecret);
  rpc::IoPool pool_{2};
  std::unique_ptr<Node> node_;
};

TEST_F(OriginConnections, AnOrderOnAnOlderConnectionOfTheOriginLeavesTheNewerOneInCharge) {
  // Another origin holds the node, so both connections of "inc" are admitted without taking it.
  const auto rival = connect_as("rival", "rival-incarnation");
  ASSERT_EQ(heartbeat(*rival), StatusCode::ok);
  const auto older = connect_as("route-1", "inc");
  const auto newer = connect_as("route-2", "inc");
  ASSERT_EQ(order(*rival, ControlMethod::resign, runtime::encode(runtime::Resign{"stopping"})),
            StatusCode::ok);

  ASSERT_EQ(heartbeat(*newer), StatusCode::ok);  // the newer connection takes the node
  EXPECT_EQ(heartbeat(*older), StatusCode::permission_denied);
  EXPECT_TRUE(newer->is_open());
  EXPECT_EQ(heartbeat(*newer), StatusCode::ok);
}

TEST_F(OriginConnections, TheNewestConnectionOfTheOriginReplacesTheOlderOnes) {
  const auto older = connect_as("route-1", "inc");
  ASSERT_EQ(heartbeat(*older), StatusCode::ok);
  const auto newer = connect_as("route-2", "inc");
  EXPECT_EQ(heartbeat(*newer), StatusCode::ok);
  EXPECT_NE(heartbeat(*older), StatusCode::ok);
  EXPECT_EQ(heartbeat(*newer), StatusCode::ok);
}

}  // namespace
}  // namespace hatch::test
