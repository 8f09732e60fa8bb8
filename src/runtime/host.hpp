// The component instances one process serves, and how it answers a request for one of them.
//
// Both the origin and a node own a Host. A request names a component by id; the Host finds the
// instance, checks the method, measures the arguments (their arity, and the memory decoding
// them takes, against the host's request budget), decodes them, calls the implementation and
// sends the response. Whatever goes wrong becomes a typed status for the caller: an unknown
// component or method, arguments that do not decode, no memory left for them, or an exception of
// the implementation (its type and message travel back). Requests for component id 0 go to the
// control handler: the operations that build the component graph and move components
// (runtime/control.hpp). A component can be gated (calls are answered `moved` while it moves) and
// retired (a tombstone answers `moved` with its new home).
//
// Thread safety: all members may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hatch/catalog.hpp"
#include "hatch/internal/decode_cost.hpp"
#include "hatch/internal/mutex.hpp"
#include "hatch/internal/wire_buffer.hpp"
#include "hatch/memory_budget.hpp"
#include "rpc/connection.hpp"
#include "rpc/log_limiter.hpp"
#include "runtime/control.hpp"
#include "runtime/remote_component.hpp"
#include "runtime/replication.hpp"

namespace hatch::runtime {

// The outcome of a request, as it goes on the wire.
struct Reply {
  StatusCode status = StatusCode::ok;
  std::string body;  // the packed result, or [type, message] for an error
  rpc::Tail tail{};  // sent after the body, uncopied (a large exported state)
};

// A `moved` reply: the component left for `location` ("" while it is still moving).
Reply moved_reply(const std::string& location);

// Packs an error body: [remote type name, message].
Reply error_reply(StatusCode status, const std::string& message, const std::string& type = {});

struct HostedComponent {
  std::string name;
  const InterfaceEntry* interface = nullptr;
  Instance instance;
  // Served calls running now, and whether the gate is closed. A call counts itself in, then
  // checks the gate; a transition closes the gate, then waits for the count to reach zero.
  mutable std::atomic<int> in_flight{0};
  mutable std::atomic<bool> gated{false};
  // Set on a primary replica of a stateful or keyed component; null otherwise.
  mutable std::shared_ptr<Replication> replication;  // std::atomic_load / std::atomic_store
};

class Host {
 public:
  // Serves a control request; it may take over the request's tail (a moving state).
  using ControlHandler = std::function<Reply(const std::shared_ptr<rpc::Connection>&,
                                             std::uint32_t method, internal::Payload& request)>;

  Host(std::string name, internal::WireLimits limits)
      : name_(std::move(name)), limits_(limits), requests_(limits.max_inflight_request_bytes) {}

  void set_control(ControlHandler control) { control_ = std::move(control); }

  // Told (component name, its instance's id, backup home) when a primary drops a backup.
  using LostBackup =
      std::function<void(const std::string& name, std::uint32_t id, const std::string& home)>;
  void set_lost_backup(LostBackup lost) { lost_backup_ = std::move(lost); }

  void add(std::uint32_t id, std::string name, const InterfaceEntry& interface, Instance instance);

  // Closes the gate of `id`: new calls are answered `moved` (the caller retries where the
  // component goes), and calls already running finish. Returns false if some still run at
  // `deadline`, or there is no such component.
  [[nodiscard]] bool gate(std::uint32_t id, std::chrono::steady_clock::time_point deadline);
  // Opens the gate again (the move was abandoned).
  void ungate(std::uint32_t id);
  // Makes `id` the primary of a replicated component: its writes go to `backups` (named by
  // `names`) too before they are answered, waiting up to `patience` for a gated backup's fate
  // (runtime/replication.hpp). Empty `backups` make it a lone instance again. Returns false
  // when there is no such component.
  [[nodiscard]] bool set_backups(std::uint32_t id,
                                 std::vector<std::shared_ptr<RemoteComponent>> backups,
                                 std::vector<std::string> names,
                                 std::chrono::milliseconds patience);
  // Removes `id` without a trace.
  void remove(std::uint32_t id);
  // Removes `id`, leaving a tombstone: later calls are answered `moved` to `location`.
  void retire(std::uint32_t id, const std::string& location);
  // Drops every instance; calls already running keep theirs alive until they return. Returns
  // how many there were.
  std::size_t clear();
  // The instance with `id`, or null.
  [[nodiscard]] std::shared_ptr<const HostedComponent> find(std::uint32_t id) const;

  // Serves one request and sends its response on `connection`.
  void serve(const std::shared_ptr<rpc::Connection>& connection, const rpc::FrameHeader& header,
             internal::Payload request) const;

  // Runs one request and returns the reply that serve() would send: a write on a primary
  // replica returns once its backups have it too.
  [[nodiscard]] Reply execute(const std::shared_ptr<rpc::Connection>& connection,
                              const rpc::FrameHeader& header, internal::Payload& request) const;

  const std::string& name() const noexcept { return name_; }
  const internal::WireLimits& limits() const noexcept { return limits_; }

 private:
  // The reply to one request. With `defer`, a write on a primary replica returns nothing: its
  // reply goes on `connection` once the backups have it, and no thread waits for them.
  std::optional<Reply> reply_to(const std::shared_ptr<rpc::Connection>& connection,
                                const rpc::FrameHeader& header, internal::Payload& request,
                                bool defer) const;
  // Runs `method` of `component`: its reply, or the error reply its exception means.
  Reply run(const HostedComponent& component, std::uint32_t method,
            std::span<const char> args) const;
  // Applies a write on a primary replica, then on each of its backups, in write order
  // (runtime/replication.hpp). With a `connection`, its reply goes there later, and it
  // returns nothing; without one, it returns the reply once the backups have the write.
  std::optional<Reply> apply_and_forward(const std::shared_ptr<const HostedComponent>& component,
                                         Replication& replication, const rpc::FrameHeader& header,
                                         std::span<const char> args,
                                         const std::shared_ptr<rpc::Connection>& connection) const;
  // Applies, in order, the batch of writes a primary sent this backup (kApplyWritesMethod).
  // Refuses the whole batch unless every item is a write of the component, and stops at a
  // write that did not run (its arguments did not decode, or found no memory).
  Reply apply_batch(const HostedComponent& component, std::span<const char> body) const;
  // The resource_exhausted reply for a call to `component` costing `cost`; logs it, limited.
  Reply exhausted_reply(const HostedComponent& component, const internal::DecodeCost& cost) const;

  const std::string name_;
  const internal::WireLimits limits_;
  // What the calls being served hold; a call that would go over it does not run.
  mutable MemoryBudget requests_;
  mutable rpc::LogLimiter exhausted_log_;
  ControlHandler control_;
  LostBackup lost_backup_;
  mutable SharedMutex mu_;
  std::unordered_map<std::uint32_t, std::shared_ptr<const HostedComponent>> components_
      HATCH_GUARDED_BY(mu_);
  std::unordered_map<std::uint32_t, std::string> moved_
      HATCH_GUARDED_BY(mu_);  // where retired ids went
};

}  // namespace hatch::runtime
