// A second network on this machine, for tests run as root: a network namespace joined to this
// one by a veth pair, so that a node started in it (NodeProcess's `netns`) is reached at an
// address of its own, over a link that a test can cut. Made with `ip`, cut with `tc`; the
// namespace and its link are deleted when the object dies, whatever the test did meanwhile;
// those of a test process that died without its destructors run are deleted by the next one.
//
//   if (std::string why = NetNamespace::unavailable(); !why.empty()) GTEST_SKIP() << why;
//   NetNamespace ns;
//   NodeProcess far(secret, ns.inside() + ":0", {}, "/proc/self/exe", 0, ns.name());
//   ns.cut();   // a partition: every packet either way is dropped without a word
//   ns.heal();
//
// Thread safety: none; one thread uses it.
#pragma once

#include <string>
#include <vector>

namespace hatch::test {

class NetNamespace {
 public:
  // Why no namespace can be made here, or "" when one can: the test does not run as root, or
  // `ip` or `tc` cannot be found.
  static std::string unavailable();

  // Makes the namespace, the veth pair and their addresses, after deleting those left by test
  // processes that are gone. Throws std::runtime_error with the failing command and what it
  // said (and deletes what it made).
  NetNamespace();
  ~NetNamespace();
  NetNamespace(const NetNamespace&) = delete;
  NetNamespace& operator=(const NetNamespace&) = delete;

  // The namespace's name, as `ip netns` knows it.
  const std::string& name() const noexcept { return name_; }
  // The IPv4 address of the link's end inside the namespace, and of the end on this side. A
  // process on this side that listens on outside() is reached from inside too.
  const std::string& inside() const noexcept { return inside_; }
  const std::string& outside() const noexcept { return outside_; }

  // Cuts the link at once, then drops every packet on it, both ways, silently: connections
  // stay open, and what they send is retransmitted once the link heals. (For the moment the link
  // is down, this side's new connections to the other fail at once, as when a router answers
  // that a host is unreachable.) Throws std::runtime_error if `tc` or the link fails.
  void cut();
  void heal();

 private:
  // Sets this side's end of the link up or down.
  void set_link_up(bool up) const;
  // Runs a command; throws std::runtime_error with its output when it fails.
  void run(const std::vector<std::string>& args) const;
  void remove() noexcept;

  std::string name_;
  std::string outer_link_;
  std::string inner_link_;
  std::string inside_;
  std::string outside_;
};

}  // namespace hatch::test
