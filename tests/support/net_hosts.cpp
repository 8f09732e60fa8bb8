#include "net_hosts.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "program_process.hpp"

namespace hatch::test {

namespace {

void run_quietly(const std::vector<std::string>& args) noexcept {
  try {
    std::string ignored;
    run_command(args, ignored);
  } catch (...) {
    // Best effort: what is already gone fails here, as it should.
  }
}

std::string joined(const std::vector<std::string>& args) {
  std::string command;
  for (const std::string& a : args) command += (command.empty() ? "" : " ") + a;
  return command;
}

std::atomic<unsigned> networks_made{0};

// Namespaces are "hatch-hosts-<pid>n<k>h<i>", links "hb<pid>n<k>" (the bridge) and
// "hh<pid>n<k>h<i>" (a host's end on the bridge), at most 15 characters as a link name must be.
constexpr const char* kNamePrefix = "hatch-hosts-";
constexpr const char* kNetnsFiles = "/etc/netns";

// The pid a name carries after `prefix`, or 0 when it does not start so.
pid_t pid_in(const std::string& name, const std::string& prefix) {
  if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) return 0;
  const char first = name[prefix.size()];
  if (first < '0' || first > '9') return 0;
  return static_cast<pid_t>(std::strtol(name.c_str() + prefix.size(), nullptr, 10));
}

bool gone(pid_t pid) {
  return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
}

// Deletes the namespaces, links and hosts files of test processes that died before they could
// (a crash, a sanitizer's abort, a timeout's SIGKILL): their names carry their pid.
void delete_orphans() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    if (gone(pid_in(name, kNamePrefix))) run_quietly({"ip", "netns", "del", name});
  }
  for (const auto& entry : std::filesystem::directory_iterator("/sys/class/net", ec)) {
    const std::string name = entry.path().filename().string();
    if (gone(pid_in(name, "hb")) || gone(pid_in(name, "hh"))) {
      run_quietly({"ip", "link", "del", name});
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(kNetnsFiles, ec)) {
    const std::string name = entry.path().filename().string();
    if (gone(pid_in(name, kNamePrefix))) std::filesystem::remove_all(entry.path(), ec);
  }
}

// Whether the kernel has netem: tried on the loopback link of a namespace made for the purpose.
std::string probe_netem() {
  const std::string name = kNamePrefix + std::to_string(::getpid()) + "probe";
  std::string output;
  if (run_command({"ip", "netns", "add", name}, output) != 0) {
    return "cannot make a network namespace to try netem in: " + output;
  }
  const int status = run_command(
      {"tc", "-n", name, "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"}, output);
  run_quietly({"ip", "netns", "del", name});
  if (status == 0) return "";
  return "the kernel has no netem (CONFIG_NET_SCH_NETEM): `tc qdisc add ... netem` said: " + output;
}

}  // namespace

std::vector<std::string> NetLink::netem_args() const {
  std::vector<std::string> args{"netem"};
  if (delay_ms > 0) args.insert(args.end(), {"delay", std::to_string(delay_ms) + "ms"});
  if (loss_percent > 0) {
    std::ostringstream loss;
    loss << loss_percent << "%";
    args.insert(args.end(), {"loss", loss.str()});
  }
  if (rate_mbit > 0) args.insert(args.end(), {"rate", std::to_string(rate_mbit) + "mbit"});
  return args;
}

std::string NetHosts::unavailable(const NetLink& link) {
  if (::geteuid() != 0) {
    return "network namespaces need root; this test runs as uid " + std::to_string(::geteuid());
  }
  if (find_program("ip").empty()) return "no `ip` (iproute2) on the PATH";
  if (find_program("tc").empty()) return "no `tc` (iproute2) on the PATH";
  if (!link.emulated()) return "";
  static const std::string netem = probe_netem();
  return netem;
}

NetHosts::NetHosts(std::size_t hosts, NetLink link) {
  if (hosts == 0 || hosts > 99) throw std::invalid_argument("NetHosts: 1 to 99 hosts");
  const unsigned n = networks_made++ % 100;
  const auto pid = static_cast<unsigned>(::getpid());
  const std::string tag = std::to_string(pid) + "n" + std::to_string(n);
  bridge_ = "hb" + tag;
  // A /24 of 10.214.0.0/16 chosen by the pid, so that test processes running at once differ,
  // and past any /24 an address of this side already has (another test, a demo).
  std::string in_use;
  run_command({"ip", "-4", "-o", "addr", "show"}, in_use);
  unsigned subnet = (pid * 7 + n) % 256;
  for (int tries = 0; tries < 256; ++tries, subnet = (subnet + 1) % 256) {
    if (in_use.find(" 10.214." + std::to_string(subnet) + ".") == std::string::npos) break;
  }
  const std::string prefix = "10.214." + std::to_string(subnet) + ".";
  bridge_address_ = prefix + "1";
  for (std::size_t i = 0; i < hosts; ++i) {
    const std::string host = tag + "h" + std::to_string(i);
    hosts_.push_back(
        Host{kNamePrefix + host, "hh" + host, "hi" + host, prefix + std::to_string(i + 2)});
  }
  delete_orphans();
  try {
    run({"ip", "link", "add", bridge_, "type", "bridge"});
    run({"ip", "addr", "add", bridge_address_ + "/24", "dev", bridge_});
    run({"ip", "link", "set", bridge_, "up"});
    for (const Host& h : hosts_) {
      run({"ip", "netns", "add", h.name});
      run({"ip", "link", "add", h.outer_link, "type", "veth", "peer", "name", h.inner_link, "netns",
           h.name});
      run({"ip", "link", "set", h.outer_link, "master", bridge_});
      run({"ip", "link", "set", h.outer_link, "up"});
      run({"ip", "-n", h.name, "addr", "add", h.address + "/24", "dev", h.inner_link});
      run({"ip", "-n", h.name, "link", "set", h.inner_link, "up"});
      run({"ip", "-n", h.name, "link", "set", "lo", "up"});
      if (link.emulated()) {
        std::vector<std::string> tc{"tc",  "-n",  h.name,       "qdisc",
                                    "add", "dev", h.inner_link, "root"};
        const std::vector<std::string> netem = link.netem_args();
        tc.insert(tc.end(), netem.begin(), netem.end());
        run(tc);
      }
    }
  } catch (...) {
    remove();
    throw;
  }
}

NetHosts::~NetHosts() {
  remove();
}

void NetHosts::kill_link(std::size_t i) {
  run({"ip", "link", "set", hosts_.at(i).outer_link, "down"});
}

void NetHosts::heal(std::size_t i) {
  run({"ip", "link", "set", hosts_.at(i).outer_link, "up"});
}

void NetHosts::write_hosts_file(std::size_t i, const std::string& hostname,
                                const std::vector<std::string>& addresses) {
  const std::filesystem::path folder = std::filesystem::path(kNetnsFiles) / name(i);
  std::error_code ec;
  if (!std::filesystem::exists(kNetnsFiles, ec)) made_netns_folder_ = true;
  std::filesystem::create_directories(folder, ec);
  std::ofstream out(folder / "hosts", std::ios::trunc);
  out << "127.0.0.1 localhost\n::1 localhost\n";
  for (const std::string& address : addresses) out << address << " " << hostname << "\n";
  out.close();
  if (ec || !out) {
    throw std::runtime_error("cannot write " + (folder / "hosts").string() + ": " + ec.message());
  }
}

std::vector<std::string> NetHosts::exec_prefix(std::size_t i) const {
  return {find_program("ip"), "netns", "exec", name(i)};
}

void NetHosts::run(const std::vector<std::string>& args) const {
  std::string output;
  if (run_command(args, output) == 0) return;
  throw std::runtime_error("`" + joined(args) + "` failed: " + output);
}

// Deleting a namespace deletes the veth end inside it, and with it the pair; the outer ends are
// deleted too in case a process still holds a namespace open, and then the bridge. Last, the
// hosts files, and /etc/netns itself if this object made it and no namespace has a file there.
void NetHosts::remove() noexcept {
  for (const Host& h : hosts_) {
    run_quietly({"ip", "netns", "del", h.name});
    run_quietly({"ip", "link", "del", h.outer_link});
  }
  if (!bridge_.empty()) run_quietly({"ip", "link", "del", bridge_});
  std::error_code ec;
  for (const Host& h : hosts_) {
    std::filesystem::remove_all(std::filesystem::path(kNetnsFiles) / h.name, ec);
  }
  if (made_netns_folder_ && std::filesystem::is_empty(kNetnsFiles, ec) && !ec) {
    std::filesystem::remove(kNetnsFiles, ec);
  }
}

}  // namespace hatch::test
