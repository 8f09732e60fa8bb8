#include "node_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "hatch/app.hpp"
#include "hatch/error.hpp"
#include "program_process.hpp"

namespace hatch::test {

namespace {

std::string temp_path(const std::string& stem) {
  std::random_device rd;
  return "/tmp/hatch-test-" + stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
}

}  // namespace

SecretFile::SecretFile() : path_(temp_path("secret")) {
  std::random_device rd;
  std::string secret;
  for (int i = 0; i < 32; ++i) secret += "abcdefghijklmnopqrstuvwxyz0123456789"[rd() % 36];
  std::ofstream(path_) << secret << "\n";
  std::filesystem::permissions(
      path_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

SecretFile::~SecretFile() {
  ::unlink(path_.c_str());
}

std::string SecretFile::bytes() const {
  return read_secret_file(path_);
}

NodeProcess::NodeProcess(const std::string& secret_file, const std::string& listen,
                         const std::vector<std::string>& extra, const std::string& program,
                         unsigned max_open_files, const std::string& netns)
    : log_path_(temp_path("node-log")) {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args{program,     "--hatch-node",      listen, "--hatch-secret-file",
                                secret_file, "--hatch-log-level", "info"};
  args.insert(args.end(), extra.begin(), extra.end());
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (log_fd < 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error("cannot create the node's log " + log_path_);
  }
  pid_ = spawn(args, out[1], log_fd, out[0], max_open_files, netns);
  ::close(log_fd);
  ::close(out[1]);
  // Readiness: the node prints its address once it listens.
  std::string line;
  char c = 0;
  while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out[0]);
  const std::string prefix = "hatch node listening on ";
  if (line.rfind(prefix, 0) != 0) {
    kill_and_reap(SIGKILL);
    throw std::runtime_error("the node did not start; it said '" + line + "' and logged: " + log());
  }
  address_ = line.substr(prefix.size());
}

NodeProcess::~NodeProcess() {
  if (pid_ > 0) kill_and_reap(SIGKILL);
  ::unlink(log_path_.c_str());
}

void NodeProcess::pause() {
  if (::kill(pid_, SIGSTOP) != 0) throw std::runtime_error("cannot stop the node");
  int status = 0;
  if (::waitpid(pid_, &status, WUNTRACED) != pid_ || !WIFSTOPPED(status)) {
    throw std::runtime_error("the node did not stop; it exited");
  }
}

void NodeProcess::resume() {
  if (::kill(pid_, SIGCONT) != 0) throw std::runtime_error("cannot continue the node");
  int status = 0;
  if (::waitpid(pid_, &status, WCONTINUED) != pid_ || !WIFCONTINUED(status)) {
    throw std::runtime_error("the node did not continue; it exited");
  }
}

std::size_t NodeProcess::peak_rss_bytes() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // in kB
  }
  throw std::runtime_error("no VmHWM for node " + std::to_string(pid_));
}

int NodeProcess::kill_and_reap(int signal) {
  if (pid_ <= 0) return 0;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

bool NodeProcess::wait_for_log(const std::string& text) const {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (log().find(text) == std::string::npos) {
    if (pid_ <= 0 || ::waitpid(pid_, nullptr, WNOHANG) == pid_) return false;
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

std::string NodeProcess::log() const {
  std::ifstream in(log_path_);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string NodeProcess::metrics_address() const {
  const std::string said = log();
  const std::string prefix = "serving HTTP on http://";
  const auto at = said.find(prefix);
  if (at == std::string::npos) return {};
  const auto from = at + prefix.size();
  return said.substr(from, said.find('/', from) - from);
}

int run_node_if_asked(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--hatch-node") == 0) {
      try {
        return run_node(parse_flags(argc, argv));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
      }
    }
  }
  return -1;
}

}  // namespace hatch::test
