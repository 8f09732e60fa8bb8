#include "primitives/sharded_target.hpp"

#include <exception>
#include <future>

#include "hatch/deadline.hpp"
#include "hatch/internal/shard_route.hpp"

namespace hatch::primitives {

ShardedTarget::ShardedTarget(std::vector<std::shared_ptr<internal::CallTarget>> shards,
                             const InterfaceEntry& interface)
    : shards_(std::move(shards)), interface_(interface) {}

internal::Payload ShardedTarget::call(std::uint32_t method, internal::WireBuffer&& args) {
  // Only a proxy that knows no shard key calls here; it is the first shard's call.
  return shards_.front()->call(method, std::move(args));
}

internal::Payload ShardedTarget::call_shard(std::uint64_t key_hash, std::uint32_t method,
                                            internal::WireBuffer&& args) {
  const auto n = static_cast<std::uint32_t>(shards_.size());
  return shards_[internal::jump_hash(key_hash, n)]->call(method, std::move(args));
}

std::vector<internal::Payload> ShardedTarget::call_all(std::uint32_t method,
                                                       internal::WireBuffer&& args) {
  // Every shard but the first is called from a helper thread, with the caller's deadline.
  const std::optional<DeadlineScope::Clock::time_point> deadline = DeadlineScope::current();
  std::vector<std::future<internal::Payload>> others;
  for (std::size_t i = 1; i < shards_.size(); ++i) {
    others.push_back(
        std::async(std::launch::async, [this, i, method, deadline, bytes = args.bytes()]() mutable {
          std::optional<DeadlineScope> scope;
          if (deadline) scope.emplace(*deadline);
          internal::WireBuffer copy;
          copy.bytes() = std::move(bytes);
          return shards_[i]->call(method, std::move(copy));
        }));
  }
  std::vector<internal::Payload> replies;
  std::exception_ptr failure;
  try {
    replies.push_back(shards_.front()->call(method, std::move(args)));
  } catch (...) {
    failure = std::current_exception();
  }
  for (auto& other : others) {
    try {
      replies.push_back(other.get());
    } catch (...) {
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  return replies;
}

std::string ShardedTarget::method_name(std::uint32_t method) const {
  return method_label(interface_, method);
}

}  // namespace hatch::primitives
