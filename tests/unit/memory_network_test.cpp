// The in-memory network and its faults, below the level of connections: raw frames over streams.
#include "rpc/memory_network.hpp"

#include <future>
#include <string>

#include <gtest/gtest.h>

#include "rpc/endpoint.hpp"
#include "stream_pair.hpp"

namespace hatch::rpc {
namespace {

// A frame of the wire format whose body is `text`.
std::string frame(const std::string& text, std::uint32_t method = 0) {
  FrameHeader h;
  h.method = method;
  return encode_head(h, text.size(), internal::WireLimits{}) + text;
}

void write(Stream& s, const std::string& bytes, boost::system::error_code& ec) {
  const asio::const_buffer b(bytes.data(), bytes.size());
  const std::size_t n = s.write_now(std::span<const asio::const_buffer>(&b, 1), ec);
  EXPECT_EQ(n, ec ? 0 : bytes.size()) << "a memory stream takes every byte at once";
}

// Reads exactly n bytes, or returns the error that ended the stream first.
std::pair<std::string, boost::system::error_code> read(Stream& s, std::size_t n) {
  std::string out(n, '\0');
  std::promise<boost::system::error_code> done;
  s.async_read(asio::buffer(out),
               [&](const boost::system::error_code& ec, std::size_t) { done.set_value(ec); });
  return {out, done.get_future().get()};
}

TEST(MemoryNetwork, BytesArriveInOrderAcrossWritesAndFramesMaySpanThem) {
  auto net = MemoryNetwork::create();
  StreamPair p(net);
  const std::string whole = frame("first") + frame("second");
  boost::system::error_code ec;
  write(*p.client, whole.substr(0, 7), ec);
  write(*p.client, whole.substr(7), ec);
  ASSERT_FALSE(ec);
  auto [got, read_ec] = read(*p.server, whole.size());
  EXPECT_FALSE(read_ec);
  EXPECT_EQ(got, whole);
}

TEST(MemoryNetwork, NothingListensMeansConnectionRefused) {
  auto net = MemoryNetwork::create();
  IoPool io(1);
  EXPECT_THROW(net->host("a")->connect(io.context(), "nowhere:1", std::chrono::steady_clock::now()),
               ConnectFailure);
}

TEST(MemoryNetwork, CloseWakesAPendingReadAndLaterWritesFail) {
  auto net = MemoryNetwork::create();
  StreamPair p(net);
  std::promise<boost::system::error_code> woken;
  std::string buffer(8, '\0');
  p.server->async_read_some(asio::buffer(buffer), [&](const boost::system::error_code& ec,
                                                      std::size_t) { woken.set_value(ec); });
  p.client->close();
  EXPECT_EQ(woken.get_future().get(), asio::error::eof);
  boost::system::error_code ec;
  write(*p.client, frame("late"), ec);
  EXPECT_TRUE(ec);
}

TEST(MemoryNetwork, AStallHoldsFramesUntilResumedThenDeliversThemInOrder) {
  auto net = MemoryNetwork::create();
  StreamPair p(net);
  net->stall("client", "server");
  boost::system::error_code ec;
  write(*p.client, frame("one"), ec);
  write(*p.client, frame("two"), ec);
  std::promise<std::size_t> first;
  std::string buffer(64, '\0');
  p.server->async_read_some(asio::buffer(buffer), [&](const boost::system::error_code&,
                                                      std::size_t n) { first.set_value(n); });
  auto pending = first.get_future();
  EXPECT_EQ(pending.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  net->resume("client", "server");
  const std::size_t n = pending.get();
  EXPECT_EQ(buffer.substr(0, n), (frame("one") + frame("two")).substr(0, n));
}

TEST(MemoryNetwork, BreakAfterFramesDeliversExactlyThatManyThenEndsTheStream) {
  auto net = MemoryNetwork::create();
  StreamPair p(net);
  net->break_after_frames("client", "server", 2);
  boost::system::error_code ec;
  write(*p.client, frame("a"), ec);
  EXPECT_FALSE(ec);
  write(*p.client, frame("b"), ec);
  EXPECT_TRUE(ec) << "the second frame was the last";
  const std::string two = frame("a") + frame("b");
  auto [got, read_ec] = read(*p.server, two.size());
  EXPECT_EQ(got, two);
  auto [more, end] = read(*p.server, 1);
  EXPECT_EQ(end, asio::error::connection_reset);
}

TEST(MemoryNetwork, APartitionBreaksStreamsAndRefusesConnectsUntilHealed) {
  auto net = MemoryNetwork::create();
  StreamPair p(net);
  net->cut("client", "server");
  auto [nothing, ec] = read(*p.server, 1);
  EXPECT_EQ(ec, asio::error::connection_reset);
  EXPECT_THROW(net->host("client")->connect(p.io.context(), p.acceptor->address(),
                                            std::chrono::steady_clock::now()),
               ConnectFailure);
  net->heal("client", "server");
  EXPECT_NO_THROW(net->host("client")->connect(p.io.context(), p.acceptor->address(),
                                               std::chrono::steady_clock::now()));
}

TEST(MemoryNetwork, TheFrameHookSeesEachFrameAndMayLoseItOrOnlyWhatFollows) {
  auto net = MemoryNetwork::create();
  std::vector<std::uint32_t> seen;
  net->set_frame_hook([&](const std::string& from, const std::string&, const FrameHeader& h) {
    EXPECT_EQ(from, "client");
    seen.push_back(h.method);
    if (h.method == 2) return MemoryNetwork::Verdict::break_after;
    if (h.method == 9) return MemoryNetwork::Verdict::break_before;
    return MemoryNetwork::Verdict::pass;
  });
  {
    StreamPair p(net);
    boost::system::error_code ec;
    write(*p.client, frame("x", 1) + frame("y", 2), ec);
    EXPECT_TRUE(ec);
    const std::string both = frame("x", 1) + frame("y", 2);
    EXPECT_EQ(read(*p.server, both.size()).first, both) << "break_after delivers the frame";
  }
  {
    StreamPair p(net);
    boost::system::error_code ec;
    write(*p.client, frame("z", 9), ec);
    EXPECT_TRUE(ec);
    EXPECT_EQ(read(*p.server, 1).second, asio::error::connection_reset)
        << "break_before loses the frame";
  }
  EXPECT_EQ(seen, (std::vector<std::uint32_t>{1, 2, 9}));
}

}  // namespace
}  // namespace hatch::rpc
