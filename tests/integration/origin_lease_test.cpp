// A node keeps its origin while that origin is alive: another origin with the same secret is
// refused, and the components stay. A stopping origin resigns, so the next takes over at once;
// one that vanished holds its nodes for the origin lease; an origin told to take over does.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "hatch/hatch.hpp"
#include "node_process.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {
namespace {

class OriginLease : public ClusterTest {
 protected:
  Options placing_echo(const std::string& node, bool take_over = false) {
    Options o = options();
    o.placements["echo"] = node;
    o.take_over = take_over;
    return o;
  }

  // What creating "echo" on the node by a new origin throws, or "" when it works.
  std::string refusal_of_new_origin(const std::string& node) {
    Origin other(Catalog::program(), placing_echo(node));
    try {
      other.get<Echo>("echo")->add(1, 1);
    } catch (const RemoteError& e) {
      EXPECT_EQ(e.code(), StatusCode::permission_denied) << e.what();
      return e.what();
    }
    return "";
  }
};

// An origin in a child process that creates "echo" on `node`, records `text` in it, and then
// waits to be killed: an origin that vanishes without resigning.
class VanishingOrigin {
 public:
  VanishingOrigin(const Options& options, const std::string& text) {
    int ready[2];
    if (::pipe(ready) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      Origin origin(Catalog::program(), options);
      origin.get<Echo>("echo")->record(text);
      const char ok = 1;
      [[maybe_unused]] auto n = ::write(ready[1], &ok, 1);
      for (;;) ::pause();
    }
    ::close(ready[1]);
    char ok = 0;
    const bool up = ::read(ready[0], &ok, 1) == 1;
    ::close(ready[0]);
    if (!up) {
      vanish();
      throw std::runtime_error("the origin in the child process did not start");
    }
  }
  ~VanishingOrigin() { vanish(); }

  void vanish() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

TEST_F(OriginLease, ANodeKeepsItsOriginWhileThatOneIsConnected) {
  NodeProcess node(secret_.path());
  Origin first(Catalog::program(), placing_echo(node.address()));
  Ref<Echo> echo = first.get<Echo>("echo");
  echo->record("kept");
  const std::string refusal = refusal_of_new_origin(node.address());
  EXPECT_NE(refusal.find("which is connected"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("--hatch-take-over"), std::string::npos) << refusal;
  EXPECT_TRUE(node.wait_for_log("refused the origin")) << node.log();
  // Nothing was dropped: the first origin's component answers with its state.
  EXPECT_EQ(echo->recorded(), std::vector<std::string>{"kept"});
}

TEST_F(OriginLease, AnOriginThatStopsResignsAndTheNextTakesOverAtOnce) {
  NodeProcess node(secret_.path());
  {
    Origin first(Catalog::program(), placing_echo(node.address()));
    first.get<Echo>("echo")->record("from the first origin");
  }
  ASSERT_TRUE(node.wait_for_log("resigned (the origin is stopping); dropped 1 components"))
      << node.log();
  Origin second(Catalog::program(), placing_echo(node.address()));
  EXPECT_EQ(second.get<Echo>("echo")->recorded(), std::vector<std::string>{});
}

TEST_F(OriginLease, AnOriginLostWithoutResigningHoldsItsNodeForTheLeaseUnlessToldToTakeOver) {
  // A lease far longer than the test: it cannot run out while the test runs.
  NodeProcess node(secret_.path(), "127.0.0.1:0", {"--hatch-origin-lease-ms", "600000"});
  VanishingOrigin lost(placing_echo(node.address()), "from the lost origin");
  lost.vanish();
  ASSERT_TRUE(node.wait_for_log("the peer closed the connection")) << node.log();
  const std::string refusal = refusal_of_new_origin(node.address());
  EXPECT_NE(refusal.find("without resigning"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("lost for 600000 ms"), std::string::npos) << refusal;
  // The operator says so: the new origin takes the node over and finds it empty.
  Origin taking(Catalog::program(), placing_echo(node.address(), true));
  EXPECT_EQ(taking.get<Echo>("echo")->recorded(), std::vector<std::string>{});
  EXPECT_TRUE(node.wait_for_log("taking it over; dropped 1 components")) << node.log();
}

TEST_F(OriginLease, AnOriginRefusedWhileTheOtherLivedIsAcceptedOnceTheLeaseRanOut) {
  NodeProcess node(secret_.path(), "127.0.0.1:0", {"--hatch-origin-lease-ms", "0"});
  VanishingOrigin lost(placing_echo(node.address()), "from the lost origin");
  Origin next(Catalog::program(), placing_echo(node.address()));
  Ref<Echo> echo;
  EXPECT_THROW(echo = next.get<Echo>("echo"), RemoteError) << "the other one is connected";
  lost.vanish();
  ASSERT_TRUE(node.wait_for_log("the peer closed the connection")) << node.log();
  // The same connection, asked again: the lost origin's lease (0 ms) is over.
  echo = next.get<Echo>("echo");
  EXPECT_EQ(echo->recorded(), std::vector<std::string>{});
}

}  // namespace
}  // namespace hatch::test
