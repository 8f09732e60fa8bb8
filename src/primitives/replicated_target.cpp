#include "primitives/replicated_target.hpp"

#include <algorithm>

#include "hatch/error.hpp"

namespace hatch::primitives {

ReplicatedTarget::ReplicatedTarget(std::vector<std::shared_ptr<internal::CallTarget>> replicas,
                                   std::vector<std::string> homes, const InterfaceEntry& interface,
                                   bool writes_to_primary, LostReplica lost)
    : interface_(interface), writes_to_primary_(writes_to_primary), lost_(std::move(lost)) {
  for (std::size_t i = 0; i < replicas.size(); ++i) {
    replicas_.push_back(std::make_unique<Replica>());
    replicas_.back()->target = std::move(replicas[i]);
    replicas_.back()->home = i < homes.size() ? homes[i] : std::string();
  }
}

internal::Payload ReplicatedTarget::call_one(Replica& replica, std::uint32_t method,
                                             internal::WireBuffer&& args) {
  replica.outstanding.fetch_add(1, std::memory_order_relaxed);
  struct Leave {
    Replica& r;
    ~Leave() { r.outstanding.fetch_sub(1, std::memory_order_relaxed); }
  } leave{replica};
  try {
    return replica.target->call(method, std::move(args));
  } catch (const RemoteError& e) {
    if (lost_ && (e.code() == StatusCode::unavailable || e.code() == StatusCode::connection_lost)) {
      lost_(replica.home);
    }
    throw;
  }
}

std::size_t ReplicatedTarget::least_loaded(const std::vector<bool>& tried) const {
  // Start at a different replica each time, so that ties spread too.
  const std::size_t n = replicas_.size();
  const std::size_t first = rotor_.fetch_add(1, std::memory_order_relaxed) % n;
  std::size_t best = n;
  int best_load = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (first + k) % n;
    if (tried[i]) continue;
    const int load = replicas_[i]->outstanding.load(std::memory_order_relaxed);
    if (best == n || load < best_load) {
      best = i;
      best_load = load;
    }
  }
  return best;
}

internal::Payload ReplicatedTarget::call(std::uint32_t method, internal::WireBuffer&& args) {
  const bool write = method < interface_.methods.size() &&
                     interface_.methods[method].semantics == Semantics::write;
  if (write && writes_to_primary_) return call_one(*replicas_.front(), method, std::move(args));
  std::vector<bool> tried(replicas_.size(), false);
  for (;;) {
    const std::size_t index = least_loaded(tried);
    Replica* replica = replicas_[index].get();
    tried[index] = true;
    const bool last = std::find(tried.begin(), tried.end(), false) == tried.end();
    internal::WireBuffer copy;
    if (!last) copy.bytes() = args.bytes();
    try {
      return call_one(*replica, method, last ? std::move(args) : std::move(copy));
    } catch (const Unavailable&) {
      if (last || write) throw;
    } catch (const ConnectionLost&) {
      if (last || write) throw;
    }
  }
}

std::string ReplicatedTarget::method_name(std::uint32_t method) const {
  return method_label(interface_, method);
}

}  // namespace hatch::primitives
