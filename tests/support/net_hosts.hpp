// Several hosts on one network, for tests run as root: a bridge on this side with an address of
// its own (where a process here, the origin, is reached), and N network namespaces, each joined
// to the bridge by a veth pair and given an address in the bridge's /24, so that the hosts reach
// each other and this side directly. Each host's link may be slowed down and made lossy by the
// kernel (`tc ... netem` on the end inside the namespace: what the host sends waits and may be
// dropped). A host may also get a hosts file of its own (/etc/netns/NAME/hosts, which `ip netns
// exec` puts over /etc/hosts), so that a name resolves there to several hosts.
//
// Made with `ip` and `tc`; the namespaces, the bridge, the links and the hosts files are deleted
// when the object dies, whatever the test did meanwhile; those of a test process that died
// without its destructors run are deleted by the next one.
//
//   if (std::string why = NetHosts::unavailable(link); !why.empty()) GTEST_SKIP() << why;
//   NetHosts hosts(3, NetLink{.delay_ms = 2});
//   NodeProcess node(secret, hosts.address(0) + ":7000", {}, "/proc/self/exe", 0, hosts.name(0));
//   Options o;
//   o.listen = hosts.origin_address() + ":0";
//
// Thread safety: none; one thread uses it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace hatch::test {

// What the kernel does to the packets a host sends: netem's `delay`, `loss` and `rate`. All
// zero (the default): the link is left as veth makes it, and netem is not needed.
struct NetLink {
  int delay_ms = 0;
  double loss_percent = 0;
  int rate_mbit = 0;

  bool emulated() const noexcept { return delay_ms > 0 || loss_percent > 0 || rate_mbit > 0; }
  // The arguments of `tc qdisc add dev LINK root netem ...`.
  std::vector<std::string> netem_args() const;
};

class NetHosts {
 public:
  // Why these hosts cannot be made here, or "" when they can: the test does not run as root,
  // `ip` or `tc` cannot be found, or `link` needs netem and the kernel has none (the probe
  // makes a namespace of its own, and deletes it).
  static std::string unavailable(const NetLink& link = {});

  // Makes the bridge and `hosts` namespaces with their links and addresses, after deleting those
  // left by test processes that are gone. Throws std::runtime_error with the failing command and
  // what it said (and deletes what it made).
  explicit NetHosts(std::size_t hosts, NetLink link = {});
  ~NetHosts();
  NetHosts(const NetHosts&) = delete;
  NetHosts& operator=(const NetHosts&) = delete;

  std::size_t size() const noexcept { return hosts_.size(); }
  // Host `i`'s namespace, as `ip netns` knows it, and its IPv4 address.
  const std::string& name(std::size_t i) const { return hosts_.at(i).name; }
  const std::string& address(std::size_t i) const { return hosts_.at(i).address; }
  // The bridge's address, on this side: a process here that listens on it is reached from
  // every host.
  const std::string& origin_address() const noexcept { return bridge_address_; }

  // Takes host `i`'s link down on the bridge's side (its packets go nowhere, and this side's
  // new connections to it fail), and brings it up again. Throws std::runtime_error.
  void kill_link(std::size_t i);
  void heal(std::size_t i);

  // Writes /etc/netns/<name(i)>/hosts: localhost, and `hostname` for each of `addresses`. A
  // program run in the namespace through `ip netns exec` (not spawn's setns alone) reads it as
  // /etc/hosts, so `hostname` resolves there to every one of `addresses`. Deleted with the
  // object. Throws std::runtime_error when it cannot be written.
  void write_hosts_file(std::size_t i, const std::string& hostname,
                        const std::vector<std::string>& addresses);

  // `ip netns exec <name(i)>`, to put before a program's path and arguments.
  std::vector<std::string> exec_prefix(std::size_t i) const;

 private:
  struct Host {
    std::string name;
    std::string outer_link;  // on the bridge, this side
    std::string inner_link;  // in the namespace
    std::string address;
  };

  // Runs a command; throws std::runtime_error with its output when it fails.
  void run(const std::vector<std::string>& args) const;
  void remove() noexcept;

  std::string bridge_;
  std::string bridge_address_;
  std::vector<Host> hosts_;
  bool made_netns_folder_ = false;  // /etc/netns did not exist: it goes once empty
};

}  // namespace hatch::test
