// Calls whose response goes to a handler (Connection::begin_async), over the in-memory network:
// each handler is told exactly once, on a pool thread: the response, the deadline, or the end of
// the connection.
#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "rpc/connection.hpp"
#include "stream_pair.hpp"

namespace hatch::rpc {
namespace {

constexpr std::uint32_t kAnswer = 0;  // answered at once
constexpr std::uint32_t kIgnore = 1;  // never answered

// A client connection to a server that answers kAnswer and ignores kIgnore.
class ConnectionAsync : public testing::Test {
 protected:
  ConnectionAsync() : net_(MemoryNetwork::create()), pair_(net_) {
    server_ = std::make_shared<Connection>(std::move(pair_.server), "client",
                                           PeerIdentity{"node", "client"}, ConnectionOptions{});
    client_ = std::make_shared<Connection>(std::move(pair_.client), "server",
                                           PeerIdentity{"node", "server"}, ConnectionOptions{});
    server_->start(
        [](const std::shared_ptr<Connection>& c, const FrameHeader& h, internal::Payload) {
          if (h.method != kAnswer) return;
          FrameHeader out;
          out.kind = FrameKind::response;
          out.call_id = h.call_id;
          c->send(out, "the answer");
        },
        [](const std::string&) {});
    client_->start([](auto&&...) {}, [](const std::string&) {});
  }
  ~ConnectionAsync() override {
    client_->close("the test ends");
    server_->close("the test ends");
    pair_.io.stop();
  }

  // What a handler was told, and how often.
  struct Told {
    std::promise<Connection::Response> response;
    std::atomic<int> times{0};
    std::thread::id on;
  };
  // Sends `method` due at `deadline`; its handler tells `told`.
  void send(std::uint32_t method, Clock::time_point deadline, const std::shared_ptr<Told>& told) {
    FrameHeader h;
    h.method = method;
    client_->begin_async(h, "", deadline, [told](Connection::Response r) {
      if (told->times.fetch_add(1) == 0) {
        told->on = std::this_thread::get_id();
        told->response.set_value(std::move(r));
      }
    });
  }
  static Connection::Response wait(const std::shared_ptr<Told>& told) {
    std::future<Connection::Response> f = told->response.get_future();
    if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      ADD_FAILURE() << "the handler was never told";
      return {};
    }
    return f.get();
  }

  std::shared_ptr<MemoryNetwork> net_;
  StreamPair pair_;
  std::shared_ptr<Connection> server_;
  std::shared_ptr<Connection> client_;
};

TEST_F(ConnectionAsync, TheResponseReachesItsHandlerOnAPoolThread) {
  auto told = std::make_shared<Told>();
  send(kAnswer, Clock::now() + std::chrono::minutes(1), told);
  const Connection::Response r = wait(told);
  EXPECT_EQ(r.header.status, StatusCode::ok) << r.local_error;
  EXPECT_EQ(std::string(r.payload.body.data(), r.payload.body.size()), "the answer");
  EXPECT_NE(told->on, std::this_thread::get_id());
  EXPECT_EQ(told->times.load(), 1);
}

TEST_F(ConnectionAsync, ACallThatIsNeverAnsweredFailsAtItsDeadlineBeforeALaterOneDoes) {
  // The later deadline arms the timer first: the sooner one, sent after it, must re-arm it.
  auto later = std::make_shared<Told>();
  auto sooner = std::make_shared<Told>();
  send(kIgnore, Clock::now() + std::chrono::hours(1), later);
  const auto due = Clock::now() + std::chrono::milliseconds(20);
  send(kIgnore, due, sooner);
  const Connection::Response r = wait(sooner);
  EXPECT_EQ(r.header.status, StatusCode::deadline_exceeded);
  EXPECT_NE(r.local_error.find("before the deadline"), std::string::npos) << r.local_error;
  EXPECT_GE(Clock::now(), due);
  EXPECT_EQ(later->times.load(), 0) << "a call failed before its deadline";
  // An answered call between them leaves the deadlines as they were.
  auto answered = std::make_shared<Told>();
  send(kAnswer, Clock::now() + std::chrono::hours(1), answered);
  EXPECT_EQ(wait(answered).header.status, StatusCode::ok);
  EXPECT_EQ(later->times.load(), 0);
}

TEST_F(ConnectionAsync, ClosingTheConnectionTellsEachPendingHandlerOnceAndLaterCallsAtOnce) {
  auto pending = std::make_shared<Told>();
  send(kIgnore, Clock::now() + std::chrono::hours(1), pending);
  client_->close("closed by the test");
  const Connection::Response r = wait(pending);
  EXPECT_EQ(r.header.status, StatusCode::connection_lost);
  EXPECT_NE(r.local_error.find("closed by the test"), std::string::npos) << r.local_error;

  // A call on the closed connection is told before begin_async returns.
  auto after = std::make_shared<Told>();
  send(kAnswer, Clock::now() + std::chrono::hours(1), after);
  EXPECT_EQ(after->times.load(), 1);
  EXPECT_EQ(wait(after).header.status, StatusCode::connection_lost);
  EXPECT_EQ(pending->times.load(), 1);
}

}  // namespace
}  // namespace hatch::rpc
