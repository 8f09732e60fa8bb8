// A node in its own process, for multi-process tests: started from this test binary with
// --hatch-node 127.0.0.1:0, ready once it prints its address, and always reaped.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hatch/options.hpp"

namespace hatch::test {

class NodeProcess {
 public:
  // Starts `program --hatch-node 127.0.0.1:0 --hatch-secret-file secret_file` (plus `extra`
  // flags; `program` is this test binary by default) and waits until it reports its address.
  // Throws std::runtime_error when the node exits instead. `max_open_files`, unless 0, limits
  // the descriptors the node may hold; `netns`, unless empty, names the network namespace it
  // runs in (see spawn in program_process.hpp).
  explicit NodeProcess(const std::string& secret_file, const std::string& listen = "127.0.0.1:0",
                       const std::vector<std::string>& extra = {},
                       const std::string& program = "/proc/self/exe", unsigned max_open_files = 0,
                       const std::string& netns = {});
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  const std::string& address() const noexcept { return address_; }
  pid_t pid() const noexcept { return pid_; }
  // The node's stderr so far (its log).
  std::string log() const;
  // Where the node serves GET /metrics ("127.0.0.1:PORT"), from the line it logs before it says
  // that it listens; "" when it was not started with --hatch-http-listen.
  std::string metrics_address() const;
  // Waits until the log contains `text`. Returns false if the node exits first, or after a
  // minute, which only a hang takes: the guard keeps a broken build from stalling CI.
  bool wait_for_log(const std::string& text) const;
  // Stops the node (SIGSTOP) and returns once every thread of it has stopped: a kill() alone
  // returns before the stop takes hold, and the node may still answer a call meanwhile.
  void pause();
  // Continues a paused node (SIGCONT) and returns once it runs again.
  void resume();
  // The most memory the node has held at once (VmHWM), in bytes.
  std::size_t peak_rss_bytes() const;
  // Kills the node with `signal` and reaps it. Returns its wait status.
  int kill_and_reap(int signal);

 private:
  pid_t pid_ = -1;
  std::string address_;
  std::string log_path_;
};

// A file holding a fresh random cluster secret, removed when the object dies.
class SecretFile {
 public:
  SecretFile();
  ~SecretFile();
  const std::string& path() const noexcept { return path_; }
  std::string bytes() const;

 private:
  std::string path_;
};

// Calls component `component`, method `method` on the node at `address` over a connection of
// its own, authenticated with `secret` (over TLS with `tls`, when it names files). Throws what
// the node answers, as a RemoteError.
void probe_call(const std::string& secret, const std::string& address, std::uint32_t component,
                std::uint32_t method, const TlsFiles& tls = {});
// The same with `args`, the packed argument list.
void probe_call(const std::string& secret, const std::string& address, std::uint32_t component,
                std::uint32_t method, std::string args, const TlsFiles& tls = {});

// A plain TCP connection to `address` (an IPv4 "host:port"). Returns its descriptor; throws
// std::runtime_error when it cannot connect.
int connect_raw(const std::string& address);

// Connects to `address` and sends bytes that are not a handshake.
void send_garbage(const std::string& address);

// If argv asks for node mode, runs the node and returns its exit status; else returns -1.
int run_node_if_asked(int argc, char** argv);

}  // namespace hatch::test
