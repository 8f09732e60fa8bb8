// Callers that spin for their responses on a plain TCP connection (Connection::finish): up to
// ConnectionOptions::spinners of them at once, each reading for all. The first holds the
// connection's wait for readability and the last to stop resumes it, so that an idle connection
// still sees what its peer sends, such as the end of the connection.
#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "rpc/connection.hpp"
#include "stream_pair.hpp"

namespace hatch::rpc {
namespace {

constexpr auto kBound = std::chrono::seconds(30);

// A client connection over loopback TCP to a server that echoes each request's body.
class ConnectionSpin : public testing::TestWithParam<int> {
 protected:
  ConnectionSpin() : pair_(*tcp_network(), *tcp_network(), "127.0.0.1:0") {
    server_ = std::make_shared<Connection>(std::move(pair_.server), "client",
                                           PeerIdentity{"node", "client"}, ConnectionOptions{});
    ConnectionOptions spinning;
    spinning.spinners = GetParam();
    client_ = std::make_shared<Connection>(std::move(pair_.client), "server",
                                           PeerIdentity{"node", "server"}, spinning);
    server_->start(
        [](const std::shared_ptr<Connection>& c, const FrameHeader& h, internal::Payload p) {
          FrameHeader out;
          out.kind = FrameKind::response;
          out.call_id = h.call_id;
          c->send(out, std::string(p.body.data(), p.body.size()));
        },
        [](const std::string&) {});
    client_->start([](auto&&...) {},
                   [this](const std::string& reason) { closed_.set_value(reason); });
  }
  ~ConnectionSpin() override {
    client_->close("the test ends");
    server_->close("the test ends");
    pair_.io.stop();
  }

  StreamPair pair_;
  std::shared_ptr<Connection> server_;
  std::shared_ptr<Connection> client_;
  std::promise<std::string> closed_;
};

TEST_P(ConnectionSpin, ManyCallersGetTheirOwnAnswersAndTheIdleConnectionSeesItsPeerLeave) {
  constexpr int kThreads = 8;
  constexpr int kCalls = 300;
  std::atomic<int> wrong{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < kThreads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const std::string body = std::to_string(t) + "/" + std::to_string(i);
        Connection::PendingCall call =
            client_->begin(FrameHeader{}, body, Clock::now() + kBound);
        const Connection::Response r = client_->finish(call);
        if (r.header.status != StatusCode::ok ||
            std::string(r.payload.body.data(), r.payload.body.size()) != body) {
          wrong.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(wrong.load(), 0);

  // No call waits now: only a wait the last spinner resumed reads the server's close.
  server_->close("the server leaves");
  std::future<std::string> closed = closed_.get_future();
  ASSERT_EQ(closed.wait_for(kBound), std::future_status::ready)
      << "the idle connection never read its peer's close";
}

INSTANTIATE_TEST_SUITE_P(Spinners, ConnectionSpin, testing::Values(1, 2, 8));

}  // namespace
}  // namespace hatch::rpc
