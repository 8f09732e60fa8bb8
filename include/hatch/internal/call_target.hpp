// The non-template half of a remote call: where a proxy's calls go.
//
// A proxy (Interface::HatchProxy<RemoteLink>) packs arguments itself, then hands the body to a
// CallTarget, which frames it, sends it to the component's current home, waits for the reply
// within the call's deadline, and either returns the reply's body or throws a RemoteError.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hatch/error.hpp"
#include "hatch/internal/wire_buffer.hpp"

namespace hatch::internal {

// Thrown by CallTarget::call when the component has left the host the call went to (or is
// leaving it). The proxy waits for its cell to be rebound, until `deadline`, and calls again.
struct Moved {
  std::chrono::steady_clock::time_point deadline;
  std::string location;  // where it went, or "" while it is still moving
};

// Throws what the error reply (`status`, `body` = [type, message]) of `method_name` on `host`
// means: Moved (waiting until `deadline`) or the matching RemoteError.
[[noreturn]] void throw_reply_error(StatusCode status, std::span<const char> body,
                                    std::chrono::steady_clock::time_point deadline,
                                    const std::string& method_name, const std::string& host);

class CallTarget {
 public:
  virtual ~CallTarget() = default;

  // Sends method `method` with `args` (a packed msgpack array) and blocks for the reply.
  // Returns the reply body on success; throws Moved, or a hatch::RemoteError subclass.
  virtual Payload call(std::uint32_t method, WireBuffer&& args) = 0;

  // A sharded target routes a call with a shard key by the key's hash (shard_route.hpp), and
  // sends a call without one to every shard; the proxy merges what they return.
  virtual bool sharded() const { return false; }
  virtual Payload call_shard(std::uint64_t key_hash, std::uint32_t method, WireBuffer&& args) {
    (void)key_hash;
    return call(method, std::move(args));
  }
  // The replies of every shard, in shard order.
  virtual std::vector<Payload> call_all(std::uint32_t method, WireBuffer&& args) {
    std::vector<Payload> replies;
    replies.push_back(call(method, std::move(args)));
    return replies;
  }

  // "Interface::method", for error messages.
  virtual std::string method_name(std::uint32_t method) const = 0;
};

}  // namespace hatch::internal
