#include "peer_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

#include "capnp_peer.hpp"
#include "grpc_peer.hpp"
#include "program_process.hpp"

namespace hatch::bench {

namespace {

constexpr const char* kFlag = "--hatch-bench-peer";

// Reads the first line `fd` carries, waiting at most until `deadline`; "" on end of file or
// timeout.
std::string read_line(int fd, std::chrono::steady_clock::time_point deadline) {
  std::string line;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return {};
    char c;
    const ssize_t n = ::read(fd, &c, 1);
    if (n <= 0) return {};
    if (c == '\n') return line;
    line.push_back(c);
  }
}

}  // namespace

PeerProcess::PeerProcess(const std::string& name) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("peer " + name + ": pipe failed");
  try {
    pid_ = test::spawn({"/proc/self/exe", kFlag, name}, out[1], STDERR_FILENO, out[0]);
  } catch (...) {
    ::close(out[0]);
    ::close(out[1]);
    throw;
  }
  ::close(out[1]);
  const std::string line =
      read_line(out[0], std::chrono::steady_clock::now() + std::chrono::seconds(30));
  ::close(out[0]);
  const unsigned long port = line.empty() ? 0 : std::strtoul(line.c_str(), nullptr, 10);
  if (port == 0 || port > 65535) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error("peer " + name + " reported no port");
  }
  port_ = static_cast<std::uint16_t>(port);
}

PeerProcess::~PeerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

int run_peer_if_asked(int argc, char** argv) {
  if (argc < 3 || std::strcmp(argv[1], kFlag) != 0) return -1;
  // Dies with the benchmark, even one that crashes before it kills the peer.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  const std::string name = argv[2];
  try {
    if (name == "capnp") {
      serve_capnp_echo();
    } else if (name == "grpc") {
      serve_grpc_echo();
    } else {
      std::fprintf(stderr, "%s: unknown peer %s\n", kFlag, name.c_str());
      return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "peer %s: %s\n", name.c_str(), e.what());
  }
  return 1;
}

void report_port(unsigned port) {
  std::printf("%u\n", port);
  std::fflush(stdout);
}

}  // namespace hatch::bench
