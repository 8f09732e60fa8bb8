// The load driver: HTTP clients that drive the web server until told to stop, whose workload mix
// can be switched at any moment (a workload shift) and whose measurements are taken window by
// window, for a learning loop that watches the server while the load runs. run_load
// (load_generator.hpp) runs each of its fixed-duration phases on one.
//
//   LoadDriver load("127.0.0.1:8080", list_corpus(dir), LoadPhase::parse("hot=20"), 1);
//   ...  LoadWindow w = load.take();    // what the clients saw since the last take()
//   load.set_phase(LoadPhase::parse("text=0.2,writes=0.1"));
//   ...  w = load.take();
//   load.stop();
//
// The clients are those of run_load, closed or open loop as load_generator.hpp describes: each
// keeps one keep-alive connection, picks each request with the phase's mix, and counts a 2xx
// answer (with its latency) or an error. LoadPhase (the mix) and LoadWindow (what the clients
// saw) are declared there too.
//
// Thread safety: the clients run on their own threads. set_phase, take and stop may be called
// while they run, from one thread at a time (any one).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "load_generator.hpp"

namespace hatch::web {

// What the clients have had since the driver started: every answer (or failure), and the 2xx
// answers to writes among them.
struct LoadTotals {
  std::uint64_t answers = 0;
  std::uint64_t writes = 0;
};

class LoadDriver {
 public:
  // Starts phase.connections clients at once against `target` ("host:port"), requesting `paths`
  // (see list_corpus) with `phase`'s mix: text share, hot set, writes, accept, and rate (0 for a
  // closed loop, above 0 for an open loop of that many requests per second in total).
  // phase.duration and phase.name are ignored: the clients run until stop(). Each client's
  // choices follow from `seed`. Throws std::invalid_argument when `paths` is empty.
  LoadDriver(std::string target, std::vector<std::string> paths, LoadPhase phase,
             std::uint64_t seed);
  // stop().
  ~LoadDriver();
  LoadDriver(const LoadDriver&) = delete;
  LoadDriver& operator=(const LoadDriver&) = delete;

  // Switches the mix: each client follows `phase` from its next request on. The number of
  // clients stays that of the first phase (phase.connections is ignored here), as do their
  // connections. In an open loop the schedule restarts now at the new rate: a client waiting for
  // a slot of the old schedule takes one of the new instead.
  void set_phase(const LoadPhase& phase);

  // What the clients saw since the previous take() (or the start); starts the next window.
  // A request in flight counts in the window in which it is answered.
  LoadWindow take();

  LoadTotals totals() const;
  // Blocks until `done(totals())` holds, checking again at each answer: a wait on readiness,
  // for instance until 20 writes have been acknowledged. It waits for ever if no answer that
  // satisfies it can come (the driver stopped, or its schedule has no slot left).
  void wait_until(const std::function<bool(const LoadTotals&)>& done) const;

  // Stops the clients and waits for them: a client waiting for its next slot stops at once, one
  // with a request in flight once it is answered (or fails). The answers that came in until then
  // count in the next take(). Idempotent.
  void stop();

 private:
  struct State;
  std::unique_ptr<State> state_;  // shared with the clients; stop() joins them first
  std::vector<std::thread> clients_;
};

}  // namespace hatch::web
