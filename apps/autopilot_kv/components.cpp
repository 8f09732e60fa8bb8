// The example's components, each with its EMULATION settings (component configuration):
//   store.emulated_access_us       the work of every access, in microseconds (default 0)
//   store.emulated_memory_entries  entries one instance keeps in memory (default: all); an
//                                  access to any other entry first waits for the device
//   store.emulated_miss_us         that wait, in microseconds (default 1000)
//   audit.emulated_stall_ms_on_nodes  every call to an instance on a node waits this long: a
//                                  component that must not leave the origin (default 0)
#include <chrono>
#include <iterator>
#include <list>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "autopilot_kv.hpp"
#include "hatch/component.hpp"

namespace hatch::example {

// Every entry, of which the most recently used `budget_` are resident; touching another one
// costs an emulated device access and makes it resident.
class BudgetStore final : public Store, public KeyedState {
 public:
  explicit BudgetStore(Context& context)
      : budget_(static_cast<std::size_t>(
            context.config<std::int64_t>("emulated_memory_entries", std::int64_t{1} << 40))),
        miss_(context.config<std::int64_t>("emulated_miss_us", 1000)),
        work_(context.config<std::int64_t>("emulated_access_us", 0)) {}

  std::optional<std::string> get(const std::string& key) override {
    touch(key);
    std::lock_guard lock(mu_);
    auto it = data_.find(key);
    if (it == data_.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, const std::string& value) override {
    touch(key);
    std::lock_guard lock(mu_);
    data_[key] = value;
  }
  std::uint64_t size() override {
    std::lock_guard lock(mu_);
    return data_.size();
  }

  StateEntries export_entries() override {
    std::lock_guard lock(mu_);
    return to_entries(data_);
  }
  // Entries that arrive with a move are in this host's memory, as far as the budget allows.
  void import_entries(StateEntries entries) override {
    std::lock_guard lock(mu_);
    for (const auto& [key, value] : entries) {
      if (resident_.size() >= budget_) break;
      if (resident_.count(key) != 0) continue;
      order_.push_back(key);
      resident_[key] = std::prev(order_.end());
    }
    add_entries(data_, entries);
  }

 private:
  // Makes `key` resident, waiting for the emulated device when it was not, and does the
  // emulated work of an access.
  void touch(const std::string& key) {
    bool miss = false;
    {
      std::lock_guard lock(mu_);
      auto it = resident_.find(key);
      if (it != resident_.end()) {
        order_.splice(order_.begin(), order_, it->second);
      } else {
        miss = true;
        order_.push_front(key);
        resident_[key] = order_.begin();
        if (resident_.size() > budget_) {
          resident_.erase(order_.back());
          order_.pop_back();
        }
      }
    }
    const std::chrono::microseconds wait = work_ + (miss ? miss_ : std::chrono::microseconds(0));
    if (wait.count() > 0) std::this_thread::sleep_for(wait);
  }

  const std::size_t budget_;
  const std::chrono::microseconds miss_;
  const std::chrono::microseconds work_;
  std::mutex mu_;
  std::map<std::string, std::string> data_;
  std::list<std::string> order_;  // resident keys, most recently used first
  std::unordered_map<std::string, std::list<std::string>::iterator> resident_;
};

// A count of the writes recorded; its state is whole, so replicas share every record (each
// record waits for every replica).
class AuditLog final : public Audit, public StatefulState {
 public:
  explicit AuditLog(Context& context)
      : stall_(context.host() == "origin"
                   ? 0
                   : context.config<std::int64_t>("emulated_stall_ms_on_nodes", 0)) {}

  void record(const std::string&) override {
    if (stall_.count() > 0) std::this_thread::sleep_for(stall_);
    std::lock_guard lock(mu_);
    ++recorded_;
  }
  std::uint64_t recorded() override {
    std::lock_guard lock(mu_);
    return recorded_;
  }

  Bytes save_state() override {
    std::lock_guard lock(mu_);
    return to_bytes(recorded_);
  }
  void load_state(Bytes state) override {
    std::lock_guard lock(mu_);
    recorded_ = from_bytes<std::uint64_t>(state);
  }

 private:
  const std::chrono::milliseconds stall_;
  std::mutex mu_;
  std::uint64_t recorded_ = 0;
};

HATCH_COMPONENT(BudgetStore, Store, "store");
HATCH_COMPONENT(AuditLog, Audit, "audit");

}  // namespace hatch::example
