#include "hatch/error.hpp"

#include <utility>

namespace hatch {

std::string_view to_string(StatusCode code) {
  switch (code) {
    case StatusCode::ok:
      return "ok";
    case StatusCode::application_error:
      return "application error";
    case StatusCode::unknown_component:
      return "unknown component";
    case StatusCode::unknown_method:
      return "unknown method";
    case StatusCode::bad_request:
      return "bad request";
    case StatusCode::deadline_exceeded:
      return "deadline exceeded";
    case StatusCode::connection_lost:
      return "connection lost";
    case StatusCode::unavailable:
      return "unavailable";
    case StatusCode::unauthenticated:
      return "unauthenticated";
    case StatusCode::permission_denied:
      return "permission denied";
    case StatusCode::overloaded:
      return "overloaded";
    case StatusCode::internal:
      return "internal error";
    case StatusCode::moved:
      return "moved";
    case StatusCode::resource_exhausted:
      return "resource exhausted";
  }
  return "unknown status";
}

RetryAdvice retry_advice(StatusCode code) {
  switch (code) {
    case StatusCode::unavailable:
    case StatusCode::overloaded:
    case StatusCode::moved:
    case StatusCode::resource_exhausted:
      return RetryAdvice::retry;
    case StatusCode::deadline_exceeded:
    case StatusCode::connection_lost:
      return RetryAdvice::retry_if_idempotent;
    default:
      return RetryAdvice::do_not_retry;
  }
}

namespace {

std::string compose(StatusCode code, const std::string& method, const std::string& host,
                    const std::string& message) {
  std::string out = method.empty() ? std::string("call") : method;
  if (!host.empty()) out += " on " + host;
  out += ": ";
  out += to_string(code);
  if (!message.empty()) out += ": " + message;
  return out;
}

}  // namespace

RemoteError::RemoteError(StatusCode code, std::string method, std::string host, std::string message)
    : std::runtime_error(compose(code, method, host, message)),
      code_(code),
      method_(std::move(method)),
      host_(std::move(host)),
      detail_(std::move(message)) {}

ApplicationError::ApplicationError(std::string method, std::string host, std::string remote_type,
                                   std::string message)
    : RemoteError(StatusCode::application_error, std::move(method), std::move(host),
                  remote_type + ": " + message),
      remote_type_(std::move(remote_type)) {}

void throw_remote_error(StatusCode code, std::string method, std::string host, std::string message,
                        std::string remote_type) {
  switch (code) {
    case StatusCode::application_error:
      throw ApplicationError(std::move(method), std::move(host), std::move(remote_type),
                             std::move(message));
    case StatusCode::deadline_exceeded:
      throw DeadlineExceeded(code, std::move(method), std::move(host), std::move(message));
    case StatusCode::connection_lost:
      throw ConnectionLost(code, std::move(method), std::move(host), std::move(message));
    case StatusCode::unavailable:
      throw Unavailable(code, std::move(method), std::move(host), std::move(message));
    case StatusCode::unauthenticated:
      throw Unauthenticated(code, std::move(method), std::move(host), std::move(message));
    case StatusCode::unknown_component:
      throw UnknownComponent(code, std::move(method), std::move(host), std::move(message));
    case StatusCode::unknown_method:
      throw UnknownMethod(code, std::move(method), std::move(host), std::move(message));
    case StatusCode::bad_request:
      throw BadRequest(code, std::move(method), std::move(host), std::move(message));
    default:
      throw RemoteError(code, std::move(method), std::move(host), std::move(message));
  }
}

}  // namespace hatch
