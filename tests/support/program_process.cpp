#include "program_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hatch::test {

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  // Then where system tools live, which root's PATH may lack (iproute2 is in /usr/sbin).
  std::istringstream dirs(std::string(path ? path : "") + ":/usr/sbin:/sbin:/usr/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0 && std::filesystem::is_regular_file(candidate)) {
      return candidate;
    }
  }
  return {};
}

int run_to_end(const std::vector<std::string>& args, const std::string& out_path,
               const std::string& err_path) {
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const pid_t pid = spawn(args, out, err, -1);
  ::close(out);
  ::close(err);
  // A guard kills it after three minutes unless it ended first.
  std::mutex mu;
  std::condition_variable ended;
  bool done = false;
  std::thread guard([&] {
    std::unique_lock lock(mu);
    if (!ended.wait_for(lock, std::chrono::minutes(3), [&] { return done; })) ::kill(pid, SIGKILL);
  });
  int status = 0;
  ::waitpid(pid, &status, 0);
  {
    std::lock_guard lock(mu);
    done = true;
  }
  ended.notify_one();
  guard.join();
  return status;
}

pid_t spawn(const std::vector<std::string>& args, int out_fd, int err_fd, int close_fd,
            unsigned max_open_files, const std::string& netns) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Made before the fork: the child of a threaded process may not allocate.
  const std::string netns_path = netns.empty() ? std::string() : "/run/netns/" + netns;
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (close_fd >= 0) ::close(close_fd);
    if (!netns_path.empty()) {
      const int ns = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) ::_exit(125);
      ::close(ns);
    }
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    if (max_open_files > 0) {
      const rlimit limit{max_open_files, max_open_files};
      if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(126);
    }
    ::execv(argv[0], argv.data());
    std::perror("execv");
    ::_exit(127);
  }
  return pid;
}

ProgramProcess::ProgramProcess(const std::string& program, const std::vector<std::string>& args) {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> all{program};
  all.insert(all.end(), args.begin(), args.end());
  try {
    pid_ = spawn(all, out[1], out[1], out[0]);
  } catch (...) {
    ::close(out[0]);
    ::close(out[1]);
    throw;
  }
  ::close(out[1]);
  out_ = out[0];
}

ProgramProcess::~ProgramProcess() {
  if (pid_ > 0) stop(SIGKILL);
  if (out_ >= 0) ::close(out_);
}

bool ProgramProcess::read_line(std::chrono::steady_clock::time_point deadline, std::string& line) {
  for (;;) {
    if (const std::size_t end = partial_.find('\n'); end != std::string::npos) {
      line = partial_.substr(0, end);
      partial_.erase(0, end + 1);
      lines_.push_back(line);
      return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (out_ < 0 || left.count() <= 0) return false;
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(out_, buffer, sizeof buffer);
    if (n <= 0) {
      ::close(out_);
      out_ = -1;
      if (!partial_.empty()) partial_ += '\n';
      if (partial_.empty()) return false;
      continue;
    }
    partial_.append(buffer, static_cast<std::size_t>(n));
  }
}

std::optional<std::string> ProgramProcess::wait_for_line(
    const std::function<bool(const std::string&)>& match, std::chrono::seconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  std::string line;
  while (read_line(deadline, line)) {
    if (match(line)) return line;
  }
  return std::nullopt;
}

int ProgramProcess::stop(int signal) {
  if (pid_ <= 0) return 0;
  ::kill(pid_, signal);
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (read_line(deadline, line)) {
  }
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

int run_command(const std::vector<std::string>& args, std::string& output) {
  const std::string program = find_program(args[0]);
  if (program.empty()) return -1;
  ProgramProcess command(program, std::vector<std::string>(args.begin() + 1, args.end()));
  const int status = command.stop(0);  // signal 0 sends nothing: stop() reads to the end
  for (const std::string& line : command.lines()) output += line + "\n";
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace hatch::test
