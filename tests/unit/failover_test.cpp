// Which reports of a lost replica the failover acts on. A report can be older than the
// component's placement: a primary left behind by a move reports the backup it dropped, or a
// transition runs while the failover waits for its turn. The move is planned on the record as
// it is when the move's turn comes, and only a report from the current instance moves anything:
// before, a failover planned on the placement it read at the report undid the transition that
// ran in between (it moved replicated{b,c} to sharded{c,b}, built from the old shards).
#include "runtime/failover.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/placement_binding.hpp"

namespace hatch::runtime {
namespace {

using namespace std::chrono_literals;

class FailoverTest : public ::testing::Test {
 protected:
  FailoverTest()
      : directory_(Catalog::program(), {{"counts", "replicated{a:1,b:1,c:1}"}}, nullptr, 1s) {
    directory_.resolve("counts", [](const std::string&, const ComponentRecord&) {});
  }

  // What a transition of another cause does: a new instance, at `placement`.
  ComponentRecord move_to(const std::string& placement) {
    ComponentRecord next = directory_.record("counts");
    next.id = directory_.new_id();
    next.placement = Placement::parse(placement);
    directory_.commit("counts", next);
    return next;
  }

  // Hooks that run every planned move at once; `between` runs when a move's turn comes, before
  // it is planned.
  Failover::Hooks hooks() {
    Failover::Hooks h;
    h.transition = [this](const std::string&,
                          const TransitionPlan& plan) -> std::optional<TransitionReport> {
      if (between_) std::exchange(between_, {})();
      const std::optional<Placement> next = plan(directory_.record("counts"));
      if (!next) return std::nullopt;
      moves_.push_back(next->to_string());
      move_to(next->to_string());
      TransitionReport report;
      report.ok = true;
      return report;
    };
    h.reachable = [](const std::string&) { return false; };
    h.reopen = [](const std::string&, std::uint32_t, const std::string&) {};
    return h;
  }

  // Reports `home` lost and waits until the failover handled it.
  void report(const std::string& home, bool missed_writes, std::uint32_t id) {
    failover_.replica_lost("counts", home, missed_writes, id);
    io_.restart();
    io_.run();
  }

  Directory directory_;
  asio::io_context io_;
  std::vector<std::string> moves_;
  std::function<void()> between_;
  Failover failover_{directory_, io_, 10ms, hooks()};
};

TEST_F(FailoverTest, AReplicaThatMissedWritesLeavesTheSet) {
  report("b:1", true, directory_.record("counts").id);
  EXPECT_EQ(moves_, std::vector<std::string>{"replicated{a:1,c:1}"});
}

TEST_F(FailoverTest, AReportFromAnInstanceThatATransitionReplacedMovesNothing) {
  const std::uint32_t old = directory_.record("counts").id;
  move_to("replicated{b:1,c:1}");
  report("b:1", true, old);
  EXPECT_TRUE(moves_.empty()) << "the move from " << old << " replaced that replica set";
}

TEST_F(FailoverTest, TheMoveIsPlannedOnThePlacementItsTurnFinds) {
  const std::uint32_t id = directory_.record("counts").id;
  // A transition runs while the failover waits for its turn: it took `a` away already.
  between_ = [&] { move_to("replicated{b:1,c:1}"); };
  report("a:1", true, id);
  EXPECT_TRUE(moves_.empty());

  // A report that names no instance (a caller's) is planned on the placement its turn finds.
  between_ = [&] { move_to("replicated{a:1,b:1}"); };
  report("b:1", false, 0);
  EXPECT_EQ(moves_, std::vector<std::string>{"on(a:1)"});
}

}  // namespace
}  // namespace hatch::runtime
