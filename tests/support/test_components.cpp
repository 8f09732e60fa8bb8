// Implementations of the test interfaces, registered for both the tests and their nodes.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include "hatch/component.hpp"
#include "hatch/deadline.hpp"
#include "test_interfaces.hpp"

namespace hatch::test {

class EchoImpl final : public Echo {
 public:
  explicit EchoImpl(Context& context) : host_(context.host()) {}

  std::int8_t i8(std::int8_t v) override { return v; }
  std::uint8_t u8(std::uint8_t v) override { return v; }
  std::int16_t i16(std::int16_t v) override { return v; }
  std::uint16_t u16(std::uint16_t v) override { return v; }
  std::int32_t i32(std::int32_t v) override { return v; }
  std::uint32_t u32(std::uint32_t v) override { return v; }
  std::int64_t i64(std::int64_t v) override { return v; }
  std::uint64_t u64(std::uint64_t v) override { return v; }
  float f32(float v) override { return v; }
  double f64(double v) override { return v; }
  bool boolean(bool v) override { return v; }
  std::string text(const std::string& v) override { return v; }
  Bytes bytes(const Bytes& v) override { return v; }
  std::vector<std::int32_t> vec(const std::vector<std::int32_t>& v) override { return v; }
  std::map<std::string, std::int64_t> map(const std::map<std::string, std::int64_t>& v) override {
    return v;
  }
  std::unordered_map<std::string, double> umap(std::unordered_map<std::string, double> v) override {
    return v;
  }
  std::optional<std::string> opt(std::optional<std::string> v) override { return v; }
  std::pair<std::int32_t, std::string> pair(std::pair<std::int32_t, std::string> v) override {
    return v;
  }
  std::tuple<std::int32_t, std::string, bool> tuple(
      std::tuple<std::int32_t, std::string, bool> v) override {
    return v;
  }
  Shape variant(const Shape& v) override { return v; }
  Point point(Point v) override { return v; }
  std::map<std::string, std::vector<std::optional<Point>>> nested(
      const std::map<std::string, std::vector<std::optional<Point>>>& v) override {
    return v;
  }
  std::string concat(const std::string& a, std::int32_t n, const std::string& b) override {
    return a + std::to_string(n) + b;
  }
  void record(const std::string& entry) override {
    std::lock_guard lock(mu_);
    recorded_.push_back(entry);
  }
  std::vector<std::string> recorded() override {
    std::lock_guard lock(mu_);
    return recorded_;
  }
  // Wraps around instead of overflowing, which would be undefined: the dispatch fuzzer
  // (tests/fuzz) calls it with any two numbers.
  std::int64_t add(std::int64_t a, std::int64_t b) override {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
  }
  void fail(const std::string& kind) override {
    if (kind == "out_of_range") throw std::out_of_range("no such key: " + kind);
    if (kind == "runtime") throw std::runtime_error("the implementation failed");
    if (kind == "int") throw 42;
  }
  // Blocks until release() is called. `ms` only bounds a test that forgets to release; the
  // tests synchronise on in_flight() and release(), never on the time.
  std::int32_t hold(std::int32_t ms) override {
    std::unique_lock lock(mu_);
    ++in_flight_;
    released_cv_.wait_for(lock, std::chrono::milliseconds(ms), [&] { return released_; });
    --in_flight_;
    return ms;
  }
  void release() override {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    released_cv_.notify_all();
  }
  std::int32_t in_flight() override { return in_flight_.load(); }
  std::string where() override { return host_; }

 private:
  const std::string host_;
  std::mutex mu_;
  std::vector<std::string> recorded_;
  std::atomic<std::int32_t> in_flight_{0};
  std::condition_variable released_cv_;
  bool released_ = false;  // guarded by mu_
};

class StoreImpl final : public Store {
 public:
  void put(const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    data_[key] = value;
  }
  std::optional<std::string> get(const std::string& key) override {
    std::lock_guard lock(mu_);
    auto it = data_.find(key);
    return it == data_.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  // The milliseconds left of the deadline this call runs under, or -1 without one.
  std::int64_t budget_ms() override {
    auto deadline = DeadlineScope::current();
    if (!deadline) return -1;
    return std::chrono::duration_cast<std::chrono::milliseconds>(*deadline -
                                                                 DeadlineScope::Clock::now())
        .count();
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> data_;
};

class RelayImpl final : public Relay {
 public:
  explicit RelayImpl(Context& context)
      : store_(context.ref<Store>("store")), host_(context.host()) {}
  void put_via(const std::string& key, const std::string& value) override {
    store_->put(key, value);
  }
  std::optional<std::string> get_via(const std::string& key) override { return store_->get(key); }
  std::int64_t budget_via() override { return store_->budget_ms(); }
  std::string where() override { return host_; }

 private:
  Ref<Store> store_;
  const std::string host_;
};

// The counters behind Ledger and Counts: one writer per key makes every result predictable.
template <class Interface>
class CounterMap : public Interface, public KeyedState {
 public:
  explicit CounterMap(Context& context) : host_(context.host()) {}
  std::int64_t add(const std::string& key, std::int64_t delta) override {
    std::lock_guard lock(mu_);
    return counts_[key] += delta;
  }
  std::int64_t get(const std::string& key) override {
    std::lock_guard lock(mu_);
    auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
  }
  std::uint64_t size() override {
    std::lock_guard lock(mu_);
    return counts_.size();
  }
  StateEntries export_entries() override {
    std::lock_guard lock(mu_);
    return to_entries(counts_);
  }
  void import_entries(StateEntries entries) override {
    std::lock_guard lock(mu_);
    add_entries(counts_, entries);
  }

 protected:
  const std::string host_;
  std::mutex mu_;
  std::map<std::string, std::int64_t> counts_;
};

class LedgerImpl final : public CounterMap<Ledger> {
 public:
  explicit LedgerImpl(Context& context) : CounterMap(context) {
    // A test hook: stall when created on the host named by "stall_on", until the test kills
    // that host in the middle of a move (it waits for the log line below).
    if (context.config<std::string>("stall_on", "") == host_) {
      std::fprintf(stderr, "ledger: stalling on %s\n", host_.c_str());
      std::fflush(stderr);
      // Blocks until the test kills this node: nothing ever fulfils the promise.
      std::promise<void>().get_future().wait();
    }
  }
  std::string where() override { return host_; }
};

class CountsImpl final : public CounterMap<Counts> {
 public:
  using CounterMap::CounterMap;
  std::int64_t total() override {
    std::lock_guard lock(mu_);
    std::int64_t sum = 0;
    for (const auto& [key, n] : counts_) sum += n;
    return sum;
  }
  std::vector<std::string> hosts() override { return {host_}; }
  bool has_any() override {
    std::lock_guard lock(mu_);
    return !counts_.empty();
  }
  std::int64_t largest() override {
    std::lock_guard lock(mu_);
    std::int64_t most = 0;
    for (const auto& [key, n] : counts_) most = std::max(most, n);
    return most;
  }
};

class BlobsImpl final : public Blobs, public KeyedState {
 public:
  void put(const std::string& key, const Bytes& value) override {
    std::lock_guard lock(mu_);
    blobs_[key] = value;
  }
  std::uint64_t size_of(const std::string& key) override {
    std::lock_guard lock(mu_);
    auto it = blobs_.find(key);
    return it == blobs_.end() ? 0 : it->second.size();
  }
  std::uint64_t total_bytes() override {
    std::lock_guard lock(mu_);
    std::uint64_t sum = 0;
    for (const auto& [key, value] : blobs_) sum += value.size();
    return sum;
  }
  StateEntries export_entries() override {
    std::lock_guard lock(mu_);
    return to_entries(blobs_);
  }
  void import_entries(StateEntries entries) override {
    std::lock_guard lock(mu_);
    add_entries(blobs_, entries);
  }

 private:
  std::mutex mu_;
  std::map<std::string, Bytes> blobs_;
};

class TallyImpl final : public Tally, public StatefulState {
 public:
  std::int64_t bump(std::int64_t by) override {
    std::lock_guard lock(mu_);
    return total_ += by;
  }
  std::int64_t total() override {
    std::lock_guard lock(mu_);
    return total_;
  }
  Bytes save_state() override {
    std::lock_guard lock(mu_);
    return to_bytes(total_);
  }
  // Moves the state out, as a large component would; a failed move must give it back.
  Bytes take_state() override {
    std::lock_guard lock(mu_);
    return to_bytes(std::exchange(total_, kTaken));
  }
  void load_state(Bytes state) override {
    std::lock_guard lock(mu_);
    total_ = from_bytes<std::int64_t>(state);
  }
  static constexpr std::int64_t kTaken = -1000000;

 private:
  std::mutex mu_;
  std::int64_t total_ = 0;
};

class JournalImpl final : public Journal, public StatefulState {
 public:
  explicit JournalImpl(Context& context) : host_(context.host()) {}
  std::uint64_t append(std::uint64_t id) override {
    std::lock_guard lock(mu_);
    ++size_;
    return ++times_[id];
  }
  std::uint64_t times(std::uint64_t id) override {
    std::lock_guard lock(mu_);
    auto it = times_.find(id);
    return it == times_.end() ? 0 : it->second;
  }
  std::uint64_t size() override {
    std::lock_guard lock(mu_);
    return size_;
  }
  std::map<std::uint64_t, std::uint64_t> entries() override {
    std::lock_guard lock(mu_);
    return times_;
  }
  std::string where() override { return host_; }
  Bytes save_state() override {
    std::lock_guard lock(mu_);
    return to_bytes(times_);
  }
  // Moves the entries out: a write that ran after the state left, or a move that failed
  // without giving the state back, would lose entries, and the history would show it.
  Bytes take_state() override {
    std::lock_guard lock(mu_);
    size_ = 0;
    return to_bytes(std::exchange(times_, {}));
  }
  void load_state(Bytes state) override {
    std::lock_guard lock(mu_);
    times_ = from_bytes<std::map<std::uint64_t, std::uint64_t>>(state);
    size_ = 0;
    for (const auto& [id, n] : times_) size_ += n;
  }

 private:
  const std::string host_;
  std::mutex mu_;
  std::map<std::uint64_t, std::uint64_t> times_;  // id -> how many times it was appended
  std::uint64_t size_ = 0;                        // every append, the sum of times_
};

class SequenceImpl final : public Sequence, public StatefulState {
 public:
  explicit SequenceImpl(Context& context) : host_(context.host()) {}
  std::uint64_t append(std::uint64_t value) override {
    std::lock_guard lock(mu_);
    items_.push_back(value);
    return items_.size();
  }
  std::pair<std::string, std::vector<std::uint64_t>> items() override {
    std::lock_guard lock(mu_);
    return {host_, items_};
  }
  Bytes save_state() override {
    std::lock_guard lock(mu_);
    return to_bytes(items_);
  }
  Bytes take_state() override {
    std::lock_guard lock(mu_);
    return to_bytes(std::exchange(items_, {}));
  }
  void load_state(Bytes state) override {
    std::lock_guard lock(mu_);
    items_ = from_bytes<std::vector<std::uint64_t>>(state);
  }

 private:
  const std::string host_;
  std::mutex mu_;
  std::vector<std::uint64_t> items_;
};

class BigStateImpl final : public BigState, public StatefulState {
 public:
  void fill(std::uint64_t bytes, std::uint64_t seed) override {
    std::lock_guard lock(mu_);
    data_.resize(bytes);
    for (std::byte& b : data_) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      b = static_cast<std::byte>(seed >> 56);
    }
  }
  // FNV-1a over the size and the bytes: any lost, moved or changed byte shows.
  std::uint64_t digest() override {
    std::lock_guard lock(mu_);
    std::uint64_t h = 14695981039346656037ull ^ data_.size();
    for (std::byte b : data_) h = (h ^ static_cast<std::uint64_t>(b)) * 1099511628211ull;
    return h;
  }
  Bytes save_state() override {
    std::lock_guard lock(mu_);
    return data_;
  }
  Bytes take_state() override {
    std::lock_guard lock(mu_);
    return std::move(data_);
  }
  void load_state(Bytes state) override {
    std::lock_guard lock(mu_);
    data_ = std::move(state);
  }

 private:
  std::mutex mu_;
  Bytes data_;
};

class LedgerClientImpl final : public LedgerClient {
 public:
  explicit LedgerClientImpl(Context& context)
      : ledger_(context.ref<Ledger>("ledger")), host_(context.host()) {}
  std::int64_t add_via(const std::string& key, std::int64_t delta) override {
    return ledger_->add(key, delta);
  }
  std::string where() override { return host_; }

 private:
  Ref<Ledger> ledger_;
  const std::string host_;
};

class CountsClientImpl final : public CountsClient {
 public:
  explicit CountsClientImpl(Context& context) : counts_(context.ref<Counts>("counts")) {}
  std::int64_t add_via(const std::string& key, std::int64_t delta) override {
    return counts_->add(key, delta);
  }
  std::uint64_t size_via() override { return counts_->size(); }

 private:
  Ref<Counts> counts_;
};

HATCH_COMPONENT(EchoImpl, Echo, "echo");
HATCH_COMPONENT(LedgerImpl, Ledger, "ledger");
HATCH_COMPONENT(TallyImpl, Tally, "tally");
HATCH_COMPONENT(SequenceImpl, Sequence, "sequence");
HATCH_COMPONENT(BlobsImpl, Blobs, "blobs");
HATCH_COMPONENT(CountsImpl, Counts, "counts");
HATCH_COMPONENT(BigStateImpl, BigState, "big-state");
HATCH_COMPONENT(LedgerClientImpl, LedgerClient, "ledger-client");
HATCH_COMPONENT(CountsClientImpl, CountsClient, "counts-client");
HATCH_COMPONENT(StoreImpl, Store, "store");
HATCH_COMPONENT(RelayImpl, Relay, "relay");
[[maybe_unused]] const bool journals_registered = [] {
  for (int i = 0; i < kJournals; ++i) {
    internal::register_component<JournalImpl, Journal>(journal_name(i).c_str());
  }
  return true;
}();

}  // namespace hatch::test
