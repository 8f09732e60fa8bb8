#include "hatch/internal/call_target.hpp"
#include "hatch/internal/codec.hpp"

namespace hatch::internal {

void throw_reply_error(StatusCode status, std::span<const char> body,
                       std::chrono::steady_clock::time_point deadline,
                       const std::string& method_name, const std::string& host) {
  std::string type;
  std::string message = "(the error body did not decode)";
  try {
    msgpack::object_handle h = unpack_untrusted(body, WireLimits{});
    auto fields = h.get().as<std::pair<std::string, std::string>>();
    type = std::move(fields.first);
    message = std::move(fields.second);
  } catch (const std::exception&) {
  }
  if (status == StatusCode::moved) throw Moved{deadline, message};
  throw_remote_error(status, method_name, host, message, type);
}

}  // namespace hatch::internal
