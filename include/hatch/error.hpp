// Errors that cross the wire, as typed status codes and as C++ exceptions.
//
// A failed remote call throws hatch::RemoteError or one of its subclasses. Each carries the
// method it was for ("Cache::get"), the host it went to, and its StatusCode. The code tells the
// caller what to do next (see retry_advice()): whether retrying is safe, whether to reconnect or
// back off, or whether the request itself must be fixed first.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hatch {

enum class StatusCode : std::uint8_t {
  ok = 0,
  application_error = 1,    // the implementation threw; the call ran
  unknown_component = 2,    // the host does not serve that component
  unknown_method = 3,       // the component has no such method
  bad_request = 4,          // malformed frame or arguments that do not decode
  deadline_exceeded = 5,    // no answer before the call's deadline; it may or may not have run
  connection_lost = 6,      // the connection broke before the answer; it may or may not have run
  unavailable = 7,          // the host could not be reached; the call did not run
  unauthenticated = 8,      // the peer did not prove the cluster secret
  permission_denied = 9,    // the peer may not do that (e.g. a non-origin ordering an instantiate)
  overloaded = 10,          // the host refused the call to protect itself; it did not run
  internal = 11,            // a bug or an invariant broken on the remote side
  moved = 12,               // the component lives elsewhere now; the body names the new binding
  resource_exhausted = 13,  // the host had no memory free for the request; it did not run
};

// The highest code there is; a frame with a higher one is malformed.
inline constexpr StatusCode kMaxStatusCode = StatusCode::resource_exhausted;

std::string_view to_string(StatusCode code);

// What a caller may do after an error with a given code.
enum class RetryAdvice : std::uint8_t {
  retry,                // the call did not run: retrying is safe
  retry_if_idempotent,  // the call may have run: retry reads, not writes
  do_not_retry,         // retrying gives the same answer: fix the request or the deployment
};

RetryAdvice retry_advice(StatusCode code);

// The base of every error of a remote call.
class RemoteError : public std::runtime_error {
 public:
  // `method` is "Interface::method" (or a control operation's name), `host` where the call went.
  RemoteError(StatusCode code, std::string method, std::string host, std::string message);

  StatusCode code() const noexcept { return code_; }
  const std::string& method() const noexcept { return method_; }
  const std::string& host() const noexcept { return host_; }
  // The message without the method and host prefix.
  const std::string& detail() const noexcept { return detail_; }
  RetryAdvice advice() const noexcept { return retry_advice(code_); }

 private:
  StatusCode code_;
  std::string method_;
  std::string host_;
  std::string detail_;
};

// The implementation threw. remote_type() is the thrown type's name, as the remote saw it.
class ApplicationError : public RemoteError {
 public:
  ApplicationError(std::string method, std::string host, std::string remote_type,
                   std::string message);
  const std::string& remote_type() const noexcept { return remote_type_; }

 private:
  std::string remote_type_;
};

class DeadlineExceeded : public RemoteError {
 public:
  using RemoteError::RemoteError;
};
class ConnectionLost : public RemoteError {
 public:
  using RemoteError::RemoteError;
};
class Unavailable : public RemoteError {
 public:
  using RemoteError::RemoteError;
};
class Unauthenticated : public RemoteError {
 public:
  using RemoteError::RemoteError;
};
class UnknownComponent : public RemoteError {
 public:
  using RemoteError::RemoteError;
};
class UnknownMethod : public RemoteError {
 public:
  using RemoteError::RemoteError;
};
class BadRequest : public RemoteError {
 public:
  using RemoteError::RemoteError;
};

// Throws the RemoteError subclass that matches `code`. `remote_type` is used only for
// application errors.
[[noreturn]] void throw_remote_error(StatusCode code, std::string method, std::string host,
                                     std::string message, std::string remote_type = {});

// An error in the local use of Hatch: a bad configuration, an unknown component name, a
// placement that cannot be applied. Its message says what to fix.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace hatch
