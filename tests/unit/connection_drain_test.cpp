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
constexpr std::uint32_t kCallOut = 2;  // answers after a call of its own to a far peer

// A client and a server connection over one in-memory stream pair. The server answers
// kWaitForOpen only after it has run a kOpen request: its handler blocks until then. It answers
// kCallOut after calling a far peer over a second pair, which answers once the test says so.
class ConnectionDrain : public testing::Test {
 protected:
  ConnectionDrain()
      : net_(MemoryNetwork::create()),
        pair_(net_),
        far_net_(MemoryNetwork::create()),
        far_pair_(far_net_) {
    out_ = std::make_shared<Connection>(std::move(far_pair_.client), "far",
                                        PeerIdentity{"node", "far"}, ConnectionOptions{});
    far_ = std::make_shared<Connection>(std::move(far_pair_.server), "server",
                                        PeerIdentity{"node", "server"}, ConnectionOptions{});
    far_may_answer_future_ = far_may_answer_.get_future().share();
    far_->start(
        [this](const std::shared_ptr<Connection>& c, const FrameHeader& h, internal::Payload) {
          if (far_may_answer_future_.wait_for(std::chrono::seconds(30)) !=
              std::future_status::ready) {
            ADD_FAILURE() << "the far peer was never allowed to answer";
          }
          answer(c, h);
        },
        [](const std::string&) {});
    out_->start([](auto&&...) {}, [](const std::string&) {});
    server_ = std::make_shared<Connection>(std::move(pair_.server), "client",
                                           PeerIdentity{"node", "client"}, ConnectionOptions{});
    client_ = std::make_shared<Connection>(std::move(pair_.client), "server",
                                           PeerIdentity{"node", "server"}, ConnectionOptions{});
    opened_future_ = opened_.get_future().share();
    server_->start(
        [this](const std::shared_ptr<Connection>& c, const FrameHeader& h, internal::Payload) {
          if (h.method == kOpen) {
            opened_.set_value();
          } else if (h.method == kCallOut) {
            FrameHeader call;
            const Connection::Response r =
                out_->call(call, "", Clock::now() + std::chrono::minutes(2));
            EXPECT_EQ(r.header.status, StatusCode::ok) << r.local_error;
          } else if (opened_future_.wait_for(std::chrono::seconds(30)) !=
                     std::future_status::ready) {
            ADD_FAILURE() << "the open request never ran while a wait held its thread";
          }
          answer(c, h);
        },
        [](const std::string&) {});
    client_->start([](auto&&...) {}, [](const std::string&) {});
  }
  ~ConnectionDrain() override {
    for (const auto& c : {client_, server_, out_, far_}) c->close("the test ends");
    pair_.io.stop();
    far_pair_.io.stop();
  }

  static void answer(const std::shared_ptr<Connection>& c, const FrameHeader& request) {
    FrameHeader out;
    out.kind = FrameKind::response;
    out.call_id = request.call_id;
    out.method = request.method;
    c->send(out, "");
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
  std::shared_ptr<MemoryNetwork> far_net_;
  StreamPair far_pair_;
  std::shared_ptr<Connection> out_;  // the server's connection to the far peer
  std::shared_ptr<Connection> far_;
  std::promise<void> far_may_answer_;
  std::shared_future<void> far_may_answer_future_;
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

TEST_F(ConnectionDrain, AHandlerThatCallsOutSendsTheResponsesItsBatchDeferredBeforeItWaits) {
  // One read: the open, answered at once and deferred by the batch's cork, then a call out
  // whose far peer answers only once the client has the open's response.
  net_->stall("client", "server");
  Connection::PendingCall open = begin(kOpen);
  Connection::PendingCall call_out = begin(kCallOut);
  net_->resume("client", "server");
  EXPECT_EQ(client_->finish(open).header.status, StatusCode::ok);
  far_may_answer_.set_value();
  EXPECT_EQ(client_->finish(call_out).header.status, StatusCode::ok);
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
