// OpenSSL reports failures through a per-thread queue of error codes; messages for users want
// the last one as text.
#pragma once

#include <string>

#include <openssl/err.h>

namespace hatch::rpc {

// The reason of the last error OpenSSL queued on this thread ("no start line"), or `otherwise`
// when there is none. Clears the queue, so that a later failure is not blamed on this one.
inline std::string openssl_error(const std::string& otherwise = "unknown error") {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  return reason != nullptr ? reason : otherwise;
}

}  // namespace hatch::rpc
