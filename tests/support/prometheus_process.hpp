// A real Prometheus server (Debian's `prometheus`) in its own process, for tests that check what
// a scraper stores from Hatch's /metrics pages: a fresh temporary directory holds its
// configuration, its data and its log; it listens on loopback only, at a port it picks itself;
// it is always stopped and reaped, and the directory removed, when the object dies.
//
//   const std::string program = PrometheusProcess::installed();
//   if (program.empty()) GTEST_SKIP() << "prometheus is not installed ...";
//   PrometheusProcess prometheus(program, {origin_metrics, node_metrics}, std::chrono::seconds(1));
//   // its HTTP API: http://<prometheus.address()>/api/v1/query?query=up
//
// The object starts the server and returns once it listens; the caller waits for GET /-/ready
// (the TSDB may still be opening) and queries it over HTTP.
//
// Thread safety: none; one thread uses it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace hatch::test {

class PrometheusProcess {
 public:
  // The path of the `prometheus` executable found on $PATH, or "" when it is not installed.
  static std::string installed();

  // Writes a configuration with one job, "hatch", that scrapes `targets` ("host:port", over plain
  // HTTP at /metrics) every `interval` (with the same timeout), and starts `program` with it,
  // with its data in the temporary directory and its web server on 127.0.0.1, port 0. Returns
  // once it has logged the address it listens on. Throws std::runtime_error, with its log, when
  // it exits first or says nothing of the kind within a minute (then it is stopped and reaped).
  PrometheusProcess(const std::string& program, const std::vector<std::string>& targets,
                    std::chrono::milliseconds interval);
  // Stops it (SIGTERM; SIGKILL if it has not exited 30 s later), reaps it and removes the
  // temporary directory.
  ~PrometheusProcess();
  PrometheusProcess(const PrometheusProcess&) = delete;
  PrometheusProcess& operator=(const PrometheusProcess&) = delete;

  // Where its web server and HTTP API listen: "127.0.0.1:PORT".
  const std::string& address() const noexcept { return address_; }
  pid_t pid() const noexcept { return pid_; }
  // What it has logged so far (its stderr and stdout).
  std::string log() const;
  // Blocks until it writes something new (its log, or its data: every scrape appends to the
  // write-ahead log), or `until`. Returns false at `until`. What it wrote since the last call
  // returns at once, so a caller that checks, then waits, misses nothing.
  bool await_activity(std::chrono::steady_clock::time_point until);

 private:
  void stop();

  std::string dir_;
  int changes_ = -1;  // an inotify descriptor watching the directory
  pid_t pid_ = -1;
  std::string address_;
};

}  // namespace hatch::test
