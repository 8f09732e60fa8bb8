#include "runtime/control.hpp"

#include "hatch/internal/codec.hpp"

namespace hatch::runtime {

const char* to_string(ControlMethod method) {
  switch (method) {
    case ControlMethod::instantiate:
      return "instantiate";
    case ControlMethod::resolve:
      return "resolve";
    case ControlMethod::gate:
      return "gate";
    case ControlMethod::ungate:
      return "ungate";
    case ControlMethod::export_state:
      return "export";
    case ControlMethod::retire:
      return "retire";
    case ControlMethod::rebind:
      return "rebind";
    case ControlMethod::remove:
      return "remove";
    case ControlMethod::set_backups:
      return "set_backups";
    case ControlMethod::replica_lost:
      return "replica_lost";
    case ControlMethod::metrics:
      return "metrics";
    case ControlMethod::home_stale:
      return "home_stale";
    case ControlMethod::gate_check:
      return "gate_check";
    case ControlMethod::resign:
      return "resign";
    case ControlMethod::heartbeat:
      return "heartbeat";
    case ControlMethod::drain:
      return "drain";
    case ControlMethod::join:
      return "join";
  }
  return "unknown";
}

template <class Message>
std::string encode(const Message& message) {
  internal::WireBuffer out;
  msgpack::pack(out, message);
  return std::move(out.bytes());
}

template <class Message>
Message decode(ControlMethod method, std::span<const char> bytes,
               const internal::WireLimits& limits, std::span<const char>* rest) {
  try {
    std::size_t offset = 0;
    msgpack::object_handle h = internal::unpack_untrusted_prefix(bytes, limits, offset);
    if (rest != nullptr) {
      *rest = bytes.subspan(offset);
    } else if (offset != bytes.size()) {
      throw internal::BadArguments("trailing bytes after it");
    }
    return h.get().as<Message>();
  } catch (const std::exception& e) {
    throw internal::BadArguments(std::string("the ") + to_string(method) +
                                 " message does not decode: " + e.what());
  }
}

#define HATCH_CONTROL_MESSAGE(M)                                                          \
  template std::string encode<M>(const M&);                                               \
  template M decode<M>(ControlMethod, std::span<const char>, const internal::WireLimits&, \
                       std::span<const char>*)

HATCH_CONTROL_MESSAGE(Done);
HATCH_CONTROL_MESSAGE(InstantiateRequest);
HATCH_CONTROL_MESSAGE(GateRequest);
HATCH_CONTROL_MESSAGE(UngateRequest);
HATCH_CONTROL_MESSAGE(UngateReply);
HATCH_CONTROL_MESSAGE(ExportRequest);
HATCH_CONTROL_MESSAGE(RetireRequest);
HATCH_CONTROL_MESSAGE(RemoveRequest);
HATCH_CONTROL_MESSAGE(SetBackupsRequest);
HATCH_CONTROL_MESSAGE(RebindRequest);
HATCH_CONTROL_MESSAGE(MetricsRequest);
HATCH_CONTROL_MESSAGE(MetricsReply);
HATCH_CONTROL_MESSAGE(ResolveRequest);
HATCH_CONTROL_MESSAGE(ResolveReply);
HATCH_CONTROL_MESSAGE(ReplicaLostRequest);
HATCH_CONTROL_MESSAGE(HomeStaleRequest);
HATCH_CONTROL_MESSAGE(GateCheckRequest);
HATCH_CONTROL_MESSAGE(GateCheckReply);
HATCH_CONTROL_MESSAGE(Resign);
HATCH_CONTROL_MESSAGE(DrainRequest);
HATCH_CONTROL_MESSAGE(DrainReply);
HATCH_CONTROL_MESSAGE(JoinRequest);

#undef HATCH_CONTROL_MESSAGE

}  // namespace hatch::runtime
