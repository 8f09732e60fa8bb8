// The CallTarget of a sharded component: one target per shard, in the order of its placement's
// host list. A call with a shard key goes to shard jump_hash(key, n); a call without one goes to
// every shard, concurrently, and the proxy merges the replies (internal::RemoteLink).
#pragma once

#include <memory>
#include <vector>

#include "hatch/catalog.hpp"
#include "hatch/internal/call_target.hpp"

namespace hatch::primitives {

class ShardedTarget final : public internal::CallTarget {
 public:
  ShardedTarget(std::vector<std::shared_ptr<internal::CallTarget>> shards,
                const InterfaceEntry& interface);

  internal::Payload call(std::uint32_t method, internal::WireBuffer&& args) override;
  bool sharded() const override { return true; }
  internal::Payload call_shard(std::uint64_t key_hash, std::uint32_t method,
                               internal::WireBuffer&& args) override;
  std::vector<internal::Payload> call_all(std::uint32_t method,
                                          internal::WireBuffer&& args) override;
  std::string method_name(std::uint32_t method) const override;

 private:
  std::vector<std::shared_ptr<internal::CallTarget>> shards_;
  const InterfaceEntry& interface_;
};

}  // namespace hatch::primitives
