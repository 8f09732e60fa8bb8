// What a component is given when it is created: its configuration and its dependencies.
//
//   class Frontend final : public Service {
//    public:
//     explicit Frontend(hatch::Context& ctx)
//         : cache_(ctx.ref<Cache>("cache")), limit_(ctx.config<std::int64_t>("limit", 100)) {}
//     ...
//   };
//
// A dependency ref works wherever the dependency lives: on this host, on another node or back
// on the origin. The Context is valid only during the constructor; keep the refs, not the
// Context.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "hatch/config_value.hpp"
#include "hatch/error.hpp"
#include "hatch/ref.hpp"

namespace hatch {

class Context {
 public:
  Context(std::string component, std::string host, ConfigMap config)
      : component_(std::move(component)), host_(std::move(host)), config_(std::move(config)) {}
  virtual ~Context() = default;

  // The name of the component being created, and the host it runs on ("origin" or host:port).
  const std::string& component() const noexcept { return component_; }
  const std::string& host() const noexcept { return host_; }

  const ConfigMap& config() const noexcept { return config_; }

  // The value of `key`, or `fallback` when it is not set. Throws UsageError when the key is set
  // to a value of another type. T is bool, std::int64_t, double or std::string.
  template <class T>
  T config(std::string_view key, T fallback) const {
    auto it = config_.find(std::string(key));
    if (it == config_.end()) return fallback;
    if (const T* v = std::get_if<T>(&it->second)) return *v;
    throw UsageError("component '" + component_ + "': config value '" + std::string(key) +
                     "' = " + to_string(it->second) + " has the wrong type");
  }

  // A ref to the dependency named `component`, which must implement I.
  template <class I>
  Ref<I> ref(std::string_view component) {
    std::shared_ptr<BindingCell> cell = resolve(component);
    if (cell->interface_name() != I::hatch_interface_name) {
      throw UsageError("component '" + component_ + "' asked for '" + std::string(component) +
                       "' as " + std::string(I::hatch_interface_name) + ", but it implements " +
                       std::string(cell->interface_name()));
    }
    return Ref<I>(std::move(cell));
  }

 protected:
  // The binding cell of `component`, creating the component if it does not exist yet.
  virtual std::shared_ptr<BindingCell> resolve(std::string_view component) = 0;

 private:
  std::string component_;
  std::string host_;
  ConfigMap config_;
};

}  // namespace hatch
