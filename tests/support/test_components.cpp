// Implementations of the test interfaces, registered for both the tests and their nodes.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "hatch/component.hpp"
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
  std::int64_t add(std::int64_t a, std::int64_t b) override { return a + b; }
  void fail(const std::string& kind) override {
    if (kind == "out_of_range") throw std::out_of_range("no such key: " + kind);
    if (kind == "runtime") throw std::runtime_error("the implementation failed");
    if (kind == "int") throw 42;
  }
  std::int32_t wait_ms(std::int32_t ms) override {
    ++in_flight_;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    --in_flight_;
    return ms;
  }
  std::int32_t in_flight() override { return in_flight_.load(); }
  std::string where() override { return host_; }

 private:
  const std::string host_;
  std::mutex mu_;
  std::vector<std::string> recorded_;
  std::atomic<std::int32_t> in_flight_{0};
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
  std::string where() override { return host_; }

 private:
  Ref<Store> store_;
  const std::string host_;
};

HATCH_COMPONENT(EchoImpl, Echo, "echo");
HATCH_COMPONENT(StoreImpl, Store, "store");
HATCH_COMPONENT(RelayImpl, Relay, "relay");

}  // namespace hatch::test
