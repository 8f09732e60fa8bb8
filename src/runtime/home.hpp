// What one host can do for a component in a transition, as the transition engine sees it.
//
// A Home is one place a component may live: the origin's own Host (make_local_home: the orders
// run in this process, through the same HostControl::serve that serves them on nodes) or a
// node (make_remote_home: typed control calls). The transition engine
// (runtime/transition.hpp) is written once over this interface, so every step of every
// transition is the same whether a home is the origin or a node.
//
// Orders are started, then waited for, so that one step can run on many homes at once: a
// remote order is in flight when start() returns, a local one has already run. wait() returns
// the reply's body or throws the RemoteError of the failure; its code says whether the order
// may have run (deadline_exceeded, connection_lost) or did not (unavailable, ...).
//
// Thread safety: every member may be called from any thread; orders to one home may overlap.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "hatch/internal/wire_buffer.hpp"
#include "rpc/endpoint.hpp"
#include "runtime/control.hpp"
#include "runtime/host_control.hpp"
#include "runtime/remote_component.hpp"

namespace hatch::runtime {

// An order on its way. Move-only; wait() at most once.
class PendingOrder {
 public:
  PendingOrder() = default;
  explicit PendingOrder(RemoteCall call) : call_(std::move(call)) {}
  explicit PendingOrder(internal::Payload ready) : ready_(std::move(ready)) {}
  explicit PendingOrder(std::exception_ptr failed) : failed_(std::move(failed)) {}

  // The reply's body. Throws the RemoteError of a failure.
  [[nodiscard]] internal::Payload wait();

 private:
  std::optional<RemoteCall> call_;
  internal::Payload ready_;
  std::exception_ptr failed_;
};

class Home {
 public:
  explicit Home(std::string location) : location_(std::move(location)) {}
  virtual ~Home() = default;
  Home(const Home&) = delete;
  Home& operator=(const Home&) = delete;

  // "origin" or the node's address.
  const std::string& location() const noexcept { return location_; }

  // Starts `order` (one of the transition orders of control.hpp). Never throws: a failure to
  // send it is the pending order's outcome.
  template <class Order>
  PendingOrder start(ControlMethod method, const Order& order) {
    return start_encoded(method, encode(order), nullptr);
  }
  // Starts an instantiate carrying `state` (a packed state: its head in body, its bytes in
  // tail), which reaches the home uncopied. Pass the only reference to a tail that landed in a
  // buffer of its own (Payload::landed), and the origin's own home adopts that buffer.
  PendingOrder start_instantiate(const InstantiateRequest& order, internal::Payload state);

  // start() then wait().
  template <class Order>
  internal::Payload run(ControlMethod method, const Order& order) {
    return start(method, order).wait();
  }

 protected:
  // Starts an order whose body is `body`; `state`, if any, supplies the tail (and may be moved
  // from).
  virtual PendingOrder start_encoded(ControlMethod method, std::string body,
                                     internal::Payload* state) = 0;

 private:
  const std::string location_;
};

// The origin's own Host. `control` must outlive the home.
std::unique_ptr<Home> make_local_home(HostControl& control);

// A node, reached over `endpoint`; each order is due within `timeout`.
std::unique_ptr<Home> make_remote_home(std::shared_ptr<rpc::Endpoint> endpoint,
                                       std::chrono::milliseconds timeout);

}  // namespace hatch::runtime
