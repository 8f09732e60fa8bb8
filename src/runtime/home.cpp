#include "runtime/home.hpp"

namespace hatch::runtime {

namespace {

std::string label_of(ControlMethod method) {
  return std::string("control operation ") + to_string(method);
}

class LocalHome final : public Home {
 public:
  explicit LocalHome(HostControl& control) : Home(kOriginLocation), control_(control) {}

 protected:
  PendingOrder start_encoded(ControlMethod method, std::string body,
                             internal::Payload* state) override {
    auto owned = std::make_shared<std::string>(std::move(body));
    internal::Payload request;
    request.body = *owned;
    request.storage = owned;
    if (state != nullptr) {
      request.tail = state->tail;
      request.landed = std::move(state->landed);
      request.storage =
          std::make_shared<std::pair<std::shared_ptr<std::string>, std::shared_ptr<const void>>>(
              owned, state->storage);
    }
    Reply reply = control_.serve(method, request);
    auto out = std::make_shared<std::pair<std::string, rpc::Tail>>(std::move(reply.body),
                                                                   std::move(reply.tail));
    if (reply.status != StatusCode::ok) {
      try {
        internal::throw_reply_error(reply.status, out->first, rpc::Clock::now(), label_of(method),
                                    location());
      } catch (...) {
        return PendingOrder(std::current_exception());
      }
    }
    internal::Payload payload;
    payload.body = out->first;
    payload.tail = out->second.bytes;
    payload.storage = std::move(out);
    return PendingOrder(std::move(payload));
  }

 private:
  HostControl& control_;
};

class RemoteHome final : public Home {
 public:
  RemoteHome(std::shared_ptr<rpc::Endpoint> endpoint, std::chrono::milliseconds timeout)
      : Home(endpoint->address()), endpoint_(std::move(endpoint)), timeout_(timeout) {}

 protected:
  PendingOrder start_encoded(ControlMethod method, std::string body,
                             internal::Payload* state) override {
    rpc::Tail tail;
    if (state != nullptr) {
      tail = {state->landed ? std::shared_ptr<const void>(state->landed) : state->storage,
              state->tail};
    }
    try {
      return PendingOrder(start_remote(*endpoint_, kControlComponent,
                                       static_cast<std::uint32_t>(method), std::move(body),
                                       timeout_, label_of(method), std::move(tail), false));
    } catch (...) {
      return PendingOrder(std::current_exception());
    }
  }

 private:
  const std::shared_ptr<rpc::Endpoint> endpoint_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace

internal::Payload PendingOrder::wait() {
  if (failed_) std::rethrow_exception(failed_);
  if (call_) return finish_remote(*call_);
  return std::move(ready_);
}

PendingOrder Home::start_instantiate(const InstantiateRequest& order, internal::Payload state) {
  std::string body = encode(order);
  if (order.has_state) body.append(state.body.data(), state.body.size());
  return start_encoded(ControlMethod::instantiate, std::move(body), &state);
}

std::unique_ptr<Home> make_local_home(HostControl& control) {
  return std::make_unique<LocalHome>(control);
}

std::unique_ptr<Home> make_remote_home(std::shared_ptr<rpc::Endpoint> endpoint,
                                       std::chrono::milliseconds timeout) {
  return std::make_unique<RemoteHome>(std::move(endpoint), timeout);
}

}  // namespace hatch::runtime
