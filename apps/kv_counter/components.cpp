// The implementations of the example's components.
#include <map>
#include <mutex>
#include <stdexcept>

#include "hatch/component.hpp"
#include "kv_counter.hpp"

namespace hatch::example {

// An ordered map behind a mutex. Keyed state: it can move with its entries.
class MemoryStore final : public KeyValue, public KeyedState {
 public:
  std::optional<std::string> get(const std::string& key) override {
    std::lock_guard lock(mu_);
    auto it = data_.find(key);
    if (it == data_.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, const std::string& value) override {
    std::lock_guard lock(mu_);
    data_[key] = value;
  }
  bool erase(const std::string& key) override {
    std::lock_guard lock(mu_);
    return data_.erase(key) > 0;
  }
  std::uint64_t size() override {
    std::lock_guard lock(mu_);
    return data_.size();
  }

  StateEntries export_entries() override {
    std::lock_guard lock(mu_);
    return to_entries(data_);
  }
  void import_entries(StateEntries entries) override {
    std::lock_guard lock(mu_);
    add_entries(data_, entries);
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::string> data_;
};

// Counts in the "kv" component, wherever that lives: one get and one put per add.
class StoredCounter final : public Counter {
 public:
  explicit StoredCounter(Context& context)
      : kv_(context.ref<KeyValue>(context.config<std::string>("store", "kv"))) {}

  std::int64_t add(const std::string& name, std::int64_t delta) override {
    std::lock_guard lock(mu_);
    const std::int64_t next = read(name) + delta;
    kv_->put(key(name), std::to_string(next));
    return next;
  }
  std::int64_t value(const std::string& name) override {
    std::lock_guard lock(mu_);
    return read(name);
  }

 private:
  static std::string key(const std::string& name) { return "counter/" + name; }
  std::int64_t read(const std::string& name) {
    std::optional<std::string> v = kv_->get(key(name));
    return v ? std::stoll(*v) : 0;
  }

  std::mutex mu_;
  Ref<KeyValue> kv_;
};

HATCH_COMPONENT(MemoryStore, KeyValue, "kv");
HATCH_COMPONENT(StoredCounter, Counter, "counter");

}  // namespace hatch::example
