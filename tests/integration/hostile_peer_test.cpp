// Peers that hold the secret but break the protocol's pace: they must cost a node a connection,
// never a thread, and the node goes on serving everyone else. Each test runs one node process
// with few I/O threads, so that a peer that could hold a thread could hold them all.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "hatch/error.hpp"
#include "hatch/hatch.hpp"
#include "hatch/internal/codec.hpp"
#include "node_process.hpp"
#include "raw_peer.hpp"
#include "rpc/endpoint.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

// Few threads, and a short stall timeout (a setting, not a bound the test measures).
const std::vector<std::string> kFlags = {"--hatch-io-threads", "4", "--hatch-stall-timeout-ms",
                                         "1000"};
constexpr int kMoreThanThreads = 6;

using HostilePeers = ClusterTest;

// The node answers a call on a fresh connection: a component it does not host is a fine answer.
void expect_node_answers(const std::string& secret, const std::string& address) {
  try {
    probe_call(secret, address, 9999, 0);
    ADD_FAILURE() << "the node hosts no component 9999";
  } catch (const UnknownComponent&) {
  }
}

TEST_F(HostilePeers, PeersThatStopHalfWayThroughALargeFrameCostAConnectionEachNotAThread) {
  NodeProcess node(secret_.path(), "127.0.0.1:0", kFlags);
  std::vector<std::unique_ptr<RawPeer>> peers;
  for (int i = 0; i < kMoreThanThreads; ++i) {
    peers.push_back(std::make_unique<RawPeer>(secret_.bytes(), node.address()));
    // 16 MiB announced, 100 bytes sent.
    peers.back()->send(RawPeer::half_frame(16u << 20, 100));
    ASSERT_TRUE(peers.back()->sent_all());
  }
  // Every stalled frame waits on its own connection; the node still serves.
  expect_node_answers(secret_.bytes(), node.address());
  for (auto& peer : peers) EXPECT_TRUE(peer->wait_closed()) << "the node never dropped it";
  EXPECT_TRUE(node.wait_for_log("the peer sent part of a frame and then nothing for 1000 ms"))
      << node.log();
  expect_node_answers(secret_.bytes(), node.address());
}

TEST_F(HostilePeers, APeerThatNeverReadsItsAnswersLosesItsConnectionAndNoOneElseNotices) {
  NodeProcess node(secret_.path(), "127.0.0.1:0", kFlags);
  RawPeer greedy(secret_.bytes(), node.address());
  // Requests whose answers (errors: no such component) fill every buffer between the two, and
  // then some: about 40 MB of answers that it never reads.
  std::string requests;
  for (std::uint64_t id = 1; id <= 400000; ++id) requests += RawPeer::request(9999, 0, id);
  greedy.send(std::move(requests));
  EXPECT_TRUE(node.wait_for_log("while bytes waited to be sent to it")) << node.log();
  expect_node_answers(secret_.bytes(), node.address());
  EXPECT_TRUE(greedy.wait_closed());
}

// A TCP connection to `address` from `source` (an address of 127.0.0.0/8) that never says a
// word. Returns its descriptor.
int silent_connection(const std::string& address, const std::string& source) {
  auto [host, port] = split_address(address);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, host.c_str(), &to.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect from " + source + " to " + address);
  }
  return fd;
}

// The silent connections of a test, closed when it ends.
struct Silent {
  ~Silent() {
    for (int fd : fds) ::close(fd);
  }
  std::vector<int> fds;
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(HostilePeers, ANodeOutOfDescriptorsBacksOffQuietlyAndServesOnceTheyAreBack) {
  // 64 descriptors, and more silent connections than that from 8 addresses, none of them over
  // the per-address cap: only the descriptors run out.
  NodeProcess node(secret_.path(), "127.0.0.1:0", {}, "/proc/self/exe", 64);
  Silent silent;
  for (int source = 2; source < 10; ++source) {
    for (int i = 0; i < 12; ++i) {
      silent.fds.push_back(silent_connection(node.address(), "127.0.0." + std::to_string(source)));
    }
  }
  ASSERT_TRUE(node.wait_for_log("accept failed")) << node.log();
  for (int fd : silent.fds) ::close(fd);
  silent.fds.clear();
  // Once the silent peers are gone, descriptors come back and the node serves again.
  expect_node_answers(secret_.bytes(), node.address());
  // The failures were retried with waits in between, and logged a line at a time, each line
  // counting those it stands for (the old accept loop wrote millions of lines a second).
  EXPECT_LT(count(node.log(), "accept failed"), 50u) << node.log().substr(0, 4000);
}

TEST_F(HostilePeers, SilentConnectionsFromOneAddressAreCappedAndOthersAreServed) {
  NodeProcess node(secret_.path());
  Silent silent;
  for (int i = 0; i < 40; ++i) silent.fds.push_back(silent_connection(node.address(), "127.0.0.2"));
  EXPECT_TRUE(node.wait_for_log("connections from 127.0.0.2 are still authenticating (at most 16"))
      << node.log();
  // A peer from another address is served while they hold their 16.
  expect_node_answers(secret_.bytes(), node.address());
}

TEST_F(HostilePeers, ATruncatedHandshakeFrameIsLoggedAsARefusedPeer) {
  NodeProcess node(secret_.path());
  const int fd = silent_connection(node.address(), "127.0.0.3");
  // Two bytes of a length prefix, then the end of the stream.
  ASSERT_EQ(::write(fd, "\0\0", 2), 2);
  ::close(fd);
  EXPECT_TRUE(node.wait_for_log("refused peer 127.0.0.3:")) << node.log();
  EXPECT_NE(node.log().find("the handshake did not complete"), std::string::npos) << node.log();
}

// One argument (for Echo::vec, which takes one) of four arrays of 16 Mi nils each: 64 MiB that
// decode to 24 bytes of msgpack::object per nil, 1.5 GiB.
std::string sixty_four_mib_of_nils() {
  internal::WireBuffer out;
  msgpack::packer<internal::WireBuffer> pk(out);
  pk.pack_array(1);
  pk.pack_array(4);
  for (int a = 0; a < 4; ++a) {
    pk.pack_array(16u << 20);
    for (int i = 0; i < (16 << 20); ++i) pk.pack_nil();
  }
  return std::move(out.bytes());
}

TEST_F(HostilePeers, ArgumentsThatWouldDecodeToManyTimesTheirSizeAreRefusedUndecoded) {
  NodeProcess node(secret_.path());
  Options o = options();
  o.placements["echo"] = node.address();
  Origin origin(Catalog::program(), o);
  Ref<Echo> echo = origin.get<Echo>("echo");
  ASSERT_EQ(echo->add(1, 1), 2);  // "echo" is the first component created: its id is 1
  const auto vec = static_cast<std::uint32_t>(
      std::find_if(Echo::hatch_methods.begin(), Echo::hatch_methods.end(),
                   [](const MethodInfo& m) { return m.name == "vec"; }) -
      Echo::hatch_methods.begin());
  const std::string body = sixty_four_mib_of_nils();
  // Three at once: decoded whole, they took 4.8 GiB.
  std::vector<std::string> errors(3);
  std::vector<std::thread> callers;
  for (std::string& error : errors) {
    callers.emplace_back([&] {
      try {
        probe_call(secret_.bytes(), node.address(), 1, vec, body);
        error = "the call ran";
      } catch (const RemoteError& e) {
        error = e.code() == StatusCode::resource_exhausted ? "" : e.what();
      }
    });
  }
  for (std::thread& t : callers) t.join();
  for (const std::string& error : errors) EXPECT_EQ(error, "") << "not resource_exhausted";
  EXPECT_TRUE(node.wait_for_log("it can never run here")) << node.log();
  // The frames themselves (3 x 64 MiB) are held; their decoded form never was.
  const std::size_t peak = node.peak_rss_bytes();
  std::cout << "node peak RSS: " << (peak >> 20) << " MiB\n";
  EXPECT_LT(peak, std::size_t{1} << 30);
  EXPECT_EQ(echo->add(2, 2), 4) << "the node serves on";
}

}  // namespace
}  // namespace hatch::test
