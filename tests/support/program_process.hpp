// A program under test in its own process, for multi-process tests: started with its stderr
// captured line by line (its log, where the autopilot reports each window and decision), and
// always reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hatch::test {

// Forks and runs `args` (args[0] is the program's path) with its standard output on `out_fd`
// and its standard error on `err_fd`; the child closes `close_fd` first unless it is -1 (the
// parent's end of a pipe), limits its open files to `max_open_files` unless it is 0, and joins
// the network namespace named `netns` (as `ip netns add` names them) unless it is empty.
// Returns the child's pid. Throws std::runtime_error if fork fails; a child that cannot join
// the namespace exits with status 125.
pid_t spawn(const std::vector<std::string>& args, int out_fd, int err_fd, int close_fd,
            unsigned max_open_files = 0, const std::string& netns = {});

// The first executable file named `name` in a directory of $PATH, or else of /usr/sbin, /sbin
// and /usr/bin; "" when there is none (a test then skips, saying which package provides it).
std::string find_program(const std::string& name);

// Runs `args` to its end with its stdout in the file `out_path` and its stderr in `err_path`;
// returns its wait status. A run longer than three minutes, which only a hang takes, is killed.
int run_to_end(const std::vector<std::string>& args, const std::string& out_path,
               const std::string& err_path);

class ProgramProcess {
 public:
  // Starts `program` with `args`; its stdout and stderr both go to the captured lines.
  ProgramProcess(const std::string& program, const std::vector<std::string>& args);
  ~ProgramProcess();  // kills it if it still runs, and reaps it
  ProgramProcess(const ProgramProcess&) = delete;
  ProgramProcess& operator=(const ProgramProcess&) = delete;

  // Reads lines as the program writes them until one satisfies `match`, which it returns.
  // Nullopt when the program closes its output first, or after `bound`, which only a hang
  // takes: the guard keeps a broken build from stalling CI.
  std::optional<std::string> wait_for_line(const std::function<bool(const std::string&)>& match,
                                           std::chrono::seconds bound = std::chrono::seconds(180));
  // Sends `signal`, reads the rest of its output and reaps it; returns its wait status.
  int stop(int signal);
  // Every line read so far.
  const std::vector<std::string>& lines() const noexcept { return lines_; }

 private:
  bool read_line(std::chrono::steady_clock::time_point deadline, std::string& line);

  pid_t pid_ = -1;
  int out_ = -1;
  std::string partial_;
  std::vector<std::string> lines_;
};

// Runs `args` (args[0] a program's path, or its name, found with find_program) to its end; returns its exit
// status (-1 when it cannot be found or did not exit) and, in `output`, what it wrote to its
// standard output and error.
int run_command(const std::vector<std::string>& args, std::string& output);

}  // namespace hatch::test
