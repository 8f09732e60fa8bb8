// TCP keepalive on both ends of a connection of the TCP network, seen as the kernel sees it: a
// peer that vanishes without a word (its host dead, a cable pulled) must not keep a connection
// open forever. /proc/net/tcp shows, for each socket, which timer the kernel has armed; an idle
// established socket with keepalive on has the keepalive timer (2), one without has none (0).
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rpc/endpoint.hpp"
#include "rpc/io_pool.hpp"
#include "rpc/stream.hpp"

namespace hatch::rpc {
namespace {

struct TcpSocketLine {
  unsigned local_port = 0;
  unsigned remote_port = 0;
  unsigned state = 0;  // 1: established
  unsigned timer = 0;  // 2: keepalive
};

// The IPv4 sockets of this network namespace, from /proc/net/tcp.
std::vector<TcpSocketLine> tcp_sockets() {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // the column titles
  std::vector<TcpSocketLine> out;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer;
    fields >> slot >> local >> remote >> state >> queues >> timer;
    TcpSocketLine s;
    s.local_port = std::stoul(local.substr(local.find(':') + 1), nullptr, 16);
    s.remote_port = std::stoul(remote.substr(remote.find(':') + 1), nullptr, 16);
    s.state = std::stoul(state, nullptr, 16);
    s.timer = std::stoul(timer.substr(0, timer.find(':')), nullptr, 16);
    out.push_back(s);
  }
  return out;
}

TEST(Keepalive, BothEndsOfAConnectionHaveTheKeepaliveTimerArmed) {
  IoPool io(2);
  const std::shared_ptr<Network> network = tcp_network();
  const std::unique_ptr<Acceptor> acceptor = network->listen(io.context(), "127.0.0.1:0");
  std::promise<std::unique_ptr<Stream>> accepted;
  acceptor->async_accept([&](const boost::system::error_code&, std::unique_ptr<Stream> stream,
                             const std::string&) { accepted.set_value(std::move(stream)); });
  const std::unique_ptr<Stream> client =
      network->connect(io.context(), acceptor->address(),
                       std::chrono::steady_clock::now() + std::chrono::minutes(1));
  std::future<std::unique_ptr<Stream>> server_side = accepted.get_future();
  ASSERT_EQ(server_side.wait_for(std::chrono::minutes(1)), std::future_status::ready);
  const std::unique_ptr<Stream> server = server_side.get();
  ASSERT_NE(server, nullptr);

  const unsigned port = split_address(acceptor->address()).second;
  int ends = 0;
  for (const TcpSocketLine& s : tcp_sockets()) {
    if (s.state != 1 || (s.local_port != port && s.remote_port != port)) continue;
    ++ends;
    EXPECT_EQ(s.timer, 2u) << "the end at port " << s.local_port << " has no keepalive timer";
  }
  EXPECT_EQ(ends, 2);
  client->close();
  server->close();
  io.stop();
}

}  // namespace
}  // namespace hatch::rpc
