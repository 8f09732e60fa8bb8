// Readiness from this process's log: a test waits until the runtime has logged a line that
// contains some text, instead of sleeping and hoping it has.
//
// A LogWatch adds a sink to spdlog's default logger for its lifetime and keeps every line
// logged meanwhile (at the logger's level). Thread safety: all members may be called from any
// thread. Construct it before the runtime objects whose lines it waits for, so that it outlives
// them: spdlog's list of sinks is not guarded against concurrent change.
#pragma once

#include <memory>
#include <string>

namespace hatch::test {

class LogWatch {
 public:
  LogWatch();
  ~LogWatch();
  LogWatch(const LogWatch&) = delete;
  LogWatch& operator=(const LogWatch&) = delete;

  // Waits until `times` lines logged since construction contain `text`. Returns false after
  // a minute, which only a hang takes: the guard keeps a broken build from stalling CI.
  bool wait_for(const std::string& text, int times = 1) const;
  // How many lines logged since construction contain `text`.
  int count(const std::string& text) const;
  // How many lines have been logged since construction.
  int lines() const;
  // Waits until more than `seen` lines have been logged; false after a minute. A test that
  // waits for a state the runtime logs its way into checks it again after each line.
  bool wait_beyond(int seen) const;

 private:
  class Sink;
  std::shared_ptr<Sink> sink_;
};

}  // namespace hatch::test
