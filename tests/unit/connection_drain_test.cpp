// How a connection runs the frames that arrive in one read: a handler that blocks hands the
// frames behind it to another thread, and threads that cork at once all defer their writes.
// Over the in-memory network, whose stall delivers what was written meanwhile in one read.
#include "rpc/connection.hpp"

#include <future>
#include <string>

#include <gtest/gtest.h>

#include "stream_pair.hpp"

namespace hatch::rpc {
namespace {

constexpr std::uint32_t kWaitForOpen = 0;  // answers once an `open` request has run
constexpr std::uint32_t kOpen = 1;

// A client and a server connection over one in-memory stream pair. The server answers
// kWaitForOpen only after it has run a kOpen request: its handler blocks until then.
class ConnectionDrain : public testing::Test {
 protected:
  ConnectionDrain() : net_(MemoryNetwork::create()), pair_(net_) {
    server_ = std::make_shared<Connection>(std::move(pair_.server), "client",
                                           PeerIdentity{"node", "client"}, ConnectionOptions{});
    client_ = std::make_shared<Connection>(std::move(pair_.client), "server",
                                           PeerIdentity{"node", "server"}, ConnectionOptions{});
    opened_future_ = opened_.get_future().share();
    server_->start(
        [this](const std::shared_ptr<Connection>& c, const FrameHeader& h, internal::Payload) {
          if (h.method == kOpen) {
            opened_.set_value();
          } else if (opened_future_.wait_for(std::chrono::seconds(30)) !=
                     std::future_status::ready) {
            ADD_FAILURE() << "the open request never ran while a wait held its thread";
          }
          FrameHeader out;
          out.kind = FrameKind::response;
          out.call_id = h.call_id;
          out.method = h.method;
          c->send(out, "");
        },
        [](const std::string&) {});
    client_->start([](auto&&...) {}, [](const std::string&) {});
  }
  ~ConnectionDrain() override {
    client_->close("the test ends");
    server_->close("the test ends");
    pair_.io.stop();
  }

  Connection::PendingCall begin(std::uint32_t method) {
    FrameHeader h;
    h.method = method;
    return client_->begin(h, "", Clock::now() + std::chrono::minutes(2));
  }

  std::shared_ptr<MemoryNetwork> net_;
  StreamPair pair_;
  std::shared_ptr<Connection> server_;
  std::shared_ptr<Connection> client_;
  std::promise<void> opened_;
  std::shared_future<void> opened_future_;
};

TEST_F(ConnectionDrain, AHandlerThatBlocksHandsTheFramesReadWithItToAnotherThread) {
  // Both requests reach the server in one read: the wait first, the open behind it.
  net_->stall("client", "server");
  Connection::PendingCall wait = begin(kWaitForOpen);
  Connection::PendingCall open = begin(kOpen);
  net_->resume("client", "server");
  EXPECT_EQ(client_->finish(open).header.status, StatusCode::ok);
  EXPECT_EQ(client_->finish(wait).header.status, StatusCode::ok);
}

TEST_F(ConnectionDrain, ThreadsThatCorkAtOnceAllDeferTheirWritesUntilOneUncorks) {
  std::atomic<int> carried{0};  // frames that left the client
  net_->set_frame_hook([&](const std::string& from, const std::string&, const FrameHeader&) {
    if (from == "client") ++carried;
    return MemoryNetwork::Verdict::pass;
  });
  ASSERT_TRUE(client_->cork());
  EXPECT_FALSE(client_->cork()) << "a thread corks once";
  Connection::PendingCall wait = begin(kWaitForOpen);
  std::promise<void> begun;
  std::promise<void> uncorked;
  std::future<Connection::Response> other = std::async(std::launch::async, [&] {
    EXPECT_TRUE(client_->cork()) << "a second thread may cork while the first holds its cork";
    Connection::PendingCall open = begin(kOpen);
    begun.set_value();
    uncorked.get_future().wait();
    return client_->finish(open);  // uncorks this thread
  });
  begun.get_future().wait();
  EXPECT_EQ(carried.load(), 0) << "a corked request left at once";
  client_->uncork();  // sends what both threads deferred
  uncorked.set_value();
  EXPECT_EQ(other.get().header.status, StatusCode::ok);
  EXPECT_EQ(client_->finish(wait).header.status, StatusCode::ok);
  EXPECT_EQ(carried.load(), 2);
}

}  // namespace
}  // namespace hatch::rpc
