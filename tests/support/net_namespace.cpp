#include "net_namespace.hpp"

#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "program_process.hpp"

namespace hatch::test {

namespace {

std::atomic<unsigned> namespaces_made{0};

constexpr const char* kNamePrefix = "hatch-test-";

// Deletes the namespaces, and their links, of test processes that died before they could
// (a crash, a sanitizer's abort, a timeout's SIGKILL): their names carry their pid.
void delete_orphans() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kNamePrefix, 0) != 0) continue;
    const std::string tag = name.substr(std::strlen(kNamePrefix));
    const auto pid = static_cast<pid_t>(std::strtol(tag.c_str(), nullptr, 10));
    if (pid <= 0 || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    std::string ignored;
    run_command({"ip", "netns", "del", name}, ignored);
    run_command({"ip", "link", "del", "hf" + tag + "a"}, ignored);
  }
}

}  // namespace

std::string NetNamespace::unavailable() {
  if (::geteuid() != 0) {
    return "network namespaces need root; this test runs as uid " + std::to_string(::geteuid());
  }
  if (find_program("ip").empty()) return "no `ip` (iproute2) on the PATH";
  if (find_program("tc").empty()) return "no `tc` (iproute2) on the PATH";
  return "";
}

NetNamespace::NetNamespace() {
  const unsigned n = namespaces_made++;
  const auto pid = static_cast<unsigned>(::getpid());
  const std::string tag = std::to_string(pid) + "n" + std::to_string(n);
  name_ = kNamePrefix + tag;
  outer_link_ = "hf" + tag + "a";  // at most 15 characters, as a link name must be
  inner_link_ = "hf" + tag + "b";
  // A /30 of 10.213.0.0/16 chosen by the pid, so that test processes running at once differ.
  const unsigned subnet = (pid * 4 + n) % 16384;
  const std::string prefix = "10.213." + std::to_string(subnet / 64) + ".";
  outside_ = prefix + std::to_string(subnet % 64 * 4 + 1);
  inside_ = prefix + std::to_string(subnet % 64 * 4 + 2);
  delete_orphans();
  try {
    run({"ip", "netns", "add", name_});
    run({"ip", "link", "add", outer_link_, "type", "veth", "peer", "name", inner_link_, "netns",
         name_});
    run({"ip", "addr", "add", outside_ + "/30", "dev", outer_link_});
    run({"ip", "link", "set", outer_link_, "up"});
    run({"ip", "-n", name_, "addr", "add", inside_ + "/30", "dev", inner_link_});
    run({"ip", "-n", name_, "link", "set", inner_link_, "up"});
    run({"ip", "-n", name_, "link", "set", "lo", "up"});
  } catch (...) {
    remove();
    throw;
  }
}

NetNamespace::~NetNamespace() {
  remove();
}

void NetNamespace::cut() {
  // The link goes down at once, with one system call: `tc` takes milliseconds to start, and a
  // cut should fall where the test chose. Then a queue that holds no packet, on each end, drops
  // every packet (the sender sees a loss, not an error), and the link comes up behind them.
  set_link_up(false);
  run({"tc", "qdisc", "replace", "dev", outer_link_, "root", "pfifo", "limit", "0"});
  run({"tc", "-n", name_, "qdisc", "replace", "dev", inner_link_, "root", "pfifo", "limit", "0"});
  set_link_up(true);
}

void NetNamespace::set_link_up(bool up) const {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq request{};
  outer_link_.copy(request.ifr_name, IFNAMSIZ - 1);
  bool done = fd >= 0 && ::ioctl(fd, SIOCGIFFLAGS, &request) == 0;
  if (done) {
    request.ifr_flags =
        static_cast<short>(up ? request.ifr_flags | IFF_UP : request.ifr_flags & ~IFF_UP);
    done = ::ioctl(fd, SIOCSIFFLAGS, &request) == 0;
  }
  const int error = errno;
  if (fd >= 0) ::close(fd);
  if (!done) {
    throw std::runtime_error("cannot set " + outer_link_ + (up ? " up: " : " down: ") +
                             std::strerror(error));
  }
}

void NetNamespace::heal() {
  run({"tc", "qdisc", "del", "dev", outer_link_, "root"});
  run({"tc", "-n", name_, "qdisc", "del", "dev", inner_link_, "root"});
}

void NetNamespace::run(const std::vector<std::string>& args) const {
  std::string output;
  if (run_command(args, output) == 0) return;
  std::string command;
  for (const std::string& a : args) command += (command.empty() ? "" : " ") + a;
  throw std::runtime_error("`" + command + "` failed: " + output);
}

// Deleting the namespace deletes the veth end inside it, and with it the pair; the outer end
// is deleted too in case a process still holds the namespace open.
void NetNamespace::remove() noexcept {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"ip", "netns", "del", name_},
        std::vector<std::string>{"ip", "link", "del", outer_link_}}) {
    try {
      std::string ignored;
      run_command(args, ignored);
    } catch (...) {
      // Best effort: a link already gone with its namespace fails here, as it should.
    }
  }
}

}  // namespace hatch::test
