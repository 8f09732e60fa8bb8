#include "prometheus_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "program_process.hpp"

namespace hatch::test {

namespace {

// The address in the line Prometheus logs once its web server listens,
//   ... component=web msg="Listening on" address=127.0.0.1:41234
// or "" while there is no such line, whole, in `log`.
std::string listening_address(const std::string& log) {
  const auto line = log.find("msg=\"Listening on\"");
  if (line == std::string::npos) return {};
  const auto key = log.find(" address=", line);
  const auto end_of_line = log.find('\n', line);
  if (key == std::string::npos || end_of_line == std::string::npos || key > end_of_line) return {};
  const auto from = key + 9;
  return log.substr(from, log.find_first_of(" \n", from) - from);
}

}  // namespace

std::string PrometheusProcess::installed() {
  return find_program("prometheus");
}

PrometheusProcess::PrometheusProcess(const std::string& program,
                                     const std::vector<std::string>& targets,
                                     std::chrono::milliseconds interval) {
  std::string dir = "/tmp/hatch-test-prometheus-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = dir;
  try {
    // Watched before it starts, so that nothing it writes goes unseen.
    changes_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (changes_ < 0 || ::inotify_add_watch(changes_, dir_.c_str(), IN_MODIFY | IN_CREATE) < 0) {
      throw std::runtime_error("cannot watch " + dir_ + " with inotify");
    }
    {
      std::ofstream config(dir_ + "/prometheus.yml");
      config << "global:\n"
             << "  scrape_interval: " << interval.count() << "ms\n"
             << "  scrape_timeout: " << interval.count() << "ms\n"
             << "scrape_configs:\n"
             << "  - job_name: hatch\n"
             << "    static_configs:\n"
             << "      - targets:\n";
      for (const std::string& target : targets) config << "          - '" << target << "'\n";
      if (!config.flush()) throw std::runtime_error("cannot write " + dir_ + "/prometheus.yml");
    }
    const int log_fd =
        ::open((dir_ + "/log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log_fd < 0) throw std::runtime_error("cannot create " + dir_ + "/log");
    try {
      pid_ = spawn({program, "--config.file=" + dir_ + "/prometheus.yml",
                    "--storage.tsdb.path=" + dir_ + "/data", "--web.listen-address=127.0.0.1:0"},
                   log_fd, log_fd, -1);
    } catch (...) {
      ::close(log_fd);
      throw;
    }
    ::close(log_fd);
    // It picks the port itself (no other process can take it meanwhile) and logs it.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
    for (;;) {
      const std::string said = log();
      address_ = listening_address(said);
      if (!address_.empty()) break;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("prometheus exited (wait status " + std::to_string(status) +
                                 ") before it listened; it logged:\n" + said);
      }
      if (!await_activity(give_up)) {
        throw std::runtime_error(
            "prometheus did not say where it listens within a minute; it "
            "logged:\n" +
            said);
      }
    }
  } catch (...) {
    stop();
    throw;
  }
}

PrometheusProcess::~PrometheusProcess() {
  stop();
}

void PrometheusProcess::stop() {
  if (pid_ > 0) {
    // It closes its database before it exits, which takes milliseconds; a hang is killed. Its
    // pidfd becomes readable when it exits (without one, it is killed at once).
    const int exited = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    ::kill(pid_, SIGTERM);
    pollfd watch{exited, POLLIN, 0};
    int ready = -1;
    if (exited >= 0) {
      while ((ready = ::poll(&watch, 1, 30'000)) < 0 && errno == EINTR) {
      }
      ::close(exited);
    }
    if (ready <= 0) ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  if (changes_ >= 0) {
    ::close(changes_);
    changes_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    dir_.clear();
  }
}

bool PrometheusProcess::await_activity(std::chrono::steady_clock::time_point until) {
  // The data directories appear once it runs; watching one again is harmless.
  for (const char* sub : {"/data", "/data/wal"}) {
    ::inotify_add_watch(changes_, (dir_ + sub).c_str(), IN_MODIFY | IN_CREATE);
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
  pollfd p{changes_, POLLIN, 0};
  if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0) return false;
  alignas(inotify_event) char events[4096];
  while (::read(changes_, events, sizeof events) > 0) {
  }
  return true;
}

std::string PrometheusProcess::log() const {
  std::ifstream in(dir_ + "/log");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace hatch::test
