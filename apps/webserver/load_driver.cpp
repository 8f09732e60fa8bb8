#include "load_driver.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "corpus.hpp"
#include "http_client.hpp"
#include "perception/latency_histogram.hpp"
#include "split_mix64.hpp"

namespace hatch::web {
namespace {

using Clock = std::chrono::steady_clock;

struct Corpus {
  std::vector<std::string> text;
  std::vector<std::string> binary;
};

const std::string& pick(const LoadPhase& phase, const Corpus& corpus, SplitMix64& choices) {
  const bool text =
      corpus.binary.empty() || (!corpus.text.empty() && choices.unit() < phase.text_share);
  const std::vector<std::string>& kind = text ? corpus.text : corpus.binary;
  const std::size_t hot = std::min(phase.hot_set, kind.size());
  if (hot > 0 && choices.unit() < phase.hot_share) return kind[choices.below(hot)];
  return kind[choices.below(kind.size())];
}

// One request to send: the mix it follows, and when it was due (latency counts from then).
struct Turn {
  std::shared_ptr<const LoadPhase> phase;
  Clock::time_point due;
};

}  // namespace

// What the clients share. Invariants: `mutex` guards the phase, the open-loop schedule, `stopping`
// and the window's start; `changed` is notified when the phase changes or the driver stops, so
// that a client waiting for its slot wakes for either. The results are atomics (and a lock-free
// histogram), recorded without the lock.
struct LoadDriver::State {
  State(std::string target_address, Corpus documents, LoadPhase first)
      : target(std::move(target_address)),
        corpus(std::move(documents)),
        phase(std::make_shared<const LoadPhase>(std::move(first))),
        schedule_start(Clock::now()),
        window_start(schedule_start) {}

  const std::string target;
  const Corpus corpus;

  std::mutex mutex;
  std::condition_variable changed;
  std::shared_ptr<const LoadPhase> phase;  // guarded by mutex
  Clock::time_point schedule_start;        // guarded by mutex; slot 0 of the open loop
  std::uint64_t next_slot = 0;             // guarded by mutex
  std::uint64_t generation = 0;            // guarded by mutex; one more for each set_phase
  bool stopping = false;                   // guarded by mutex
  Clock::time_point window_start;          // guarded by mutex

  LatencyHistogram latency;  // of this window's 2xx answers; its count is theirs
  std::atomic<std::uint64_t> errors{0};
  // Since the start, never reset: every answer or failure, and the 2xx answers to writes.
  // `answers` is what wait_until waits on.
  std::atomic<std::uint64_t> answers{0};
  std::atomic<std::uint64_t> writes_answered{0};

  void count_answer(bool write_ok) {
    if (write_ok) ++writes_answered;
    ++answers;
    answers.notify_all();
  }

  // The next request of a client; nothing once the driver stops. In an open loop, waits for the
  // next slot of the schedule, and gives it up for a slot of the new schedule after set_phase.
  std::optional<Turn> next_turn() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      const std::shared_ptr<const LoadPhase> current = phase;
      if (current->rate <= 0) return Turn{current, Clock::now()};
      const std::uint64_t seen = generation;
      const Clock::time_point due =
          schedule_start +
          std::chrono::duration_cast<Clock::duration>(
              std::chrono::duration<double>(static_cast<double>(next_slot++) / current->rate));
      if (!changed.wait_until(lock, due, [&] { return stopping || generation != seen; })) {
        return Turn{current, due};
      }
    }
    return std::nullopt;
  }

  // One client: sends until the driver stops, recording latencies and counting results.
  void run_client(std::uint64_t seed) {
    HttpClient http(target);
    SplitMix64 choices(seed);
    std::uint64_t writes = 0;
    while (const std::optional<Turn> turn = next_turn()) {
      const LoadPhase& mix = *turn->phase;
      const std::string& path = pick(mix, corpus, choices);
      bool write_ok = false;
      try {
        HttpReply reply;
        const bool write = choices.unit() < mix.write_share;
        if (write) {
          reply = http.request(
              "PUT", path, {{"Content-Type", "text/plain"}},
              "uploaded by the load generator, write " + std::to_string(++writes) + "\n");
        } else if (choices.unit() < mix.compressed_share) {
          reply = http.request("GET", path, {{"Accept-Encoding", "zstd, gzip"}});
        } else {
          reply = http.request("GET", path);
        }
        if (reply.status >= 200 && reply.status <= 299) {
          latency.record(
              std::chrono::duration<double, std::milli>(Clock::now() - turn->due).count());
          write_ok = write;
        } else {
          ++errors;
        }
      } catch (const std::exception&) {
        ++errors;
      }
      count_answer(write_ok);
    }
  }
};

LoadDriver::LoadDriver(std::string target, std::vector<std::string> paths, LoadPhase phase,
                       std::uint64_t seed) {
  if (paths.empty()) throw std::invalid_argument("load: no documents to request");
  Corpus corpus;
  for (std::string& p : paths) {
    (is_text_path(p) ? corpus.text : corpus.binary).push_back(std::move(p));
  }
  const std::size_t connections = phase.connections;
  state_ = std::make_unique<State>(std::move(target), std::move(corpus), std::move(phase));
  try {
    for (std::size_t i = 0; i < connections; ++i) {
      clients_.emplace_back(
          [state = state_.get(), i, seed] { state->run_client(seed * 1000003 + i); });
    }
  } catch (...) {
    stop();  // the clients already started must not outlive their state
    throw;
  }
}

LoadDriver::~LoadDriver() {
  stop();
}

void LoadDriver::set_phase(const LoadPhase& phase) {
  auto next = std::make_shared<const LoadPhase>(phase);
  {
    std::lock_guard lock(state_->mutex);
    state_->phase = std::move(next);
    state_->schedule_start = Clock::now();
    state_->next_slot = 0;
    ++state_->generation;
  }
  state_->changed.notify_all();
}

LoadWindow LoadDriver::take() {
  LoadWindow w;
  {
    std::lock_guard lock(state_->mutex);
    const Clock::time_point now = Clock::now();
    w.seconds = std::chrono::duration<double>(now - state_->window_start).count();
    state_->window_start = now;
  }
  const LatencyHistogram answered = state_->latency.take();
  w.requests = answered.count();
  w.errors = state_->errors.exchange(0);
  w.requests_per_s = w.seconds > 0 ? static_cast<double>(w.requests) / w.seconds : 0;
  w.latency = answered.summary();
  return w;
}

LoadTotals LoadDriver::totals() const {
  return {state_->answers.load(), state_->writes_answered.load()};
}

void LoadDriver::wait_until(const std::function<bool(const LoadTotals&)>& done) const {
  for (;;) {
    const std::uint64_t seen = state_->answers.load();
    if (done(totals())) return;
    state_->answers.wait(seen);
  }
}

void LoadDriver::stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->changed.notify_all();
  for (std::thread& t : clients_) {
    if (t.joinable()) t.join();
  }
  clients_.clear();
}

}  // namespace hatch::web
