#include "runtime/state_transfer.hpp"

#include "hatch/error.hpp"
#include "hatch/internal/codec.hpp"

namespace hatch::runtime {

std::string export_state(const Instance& instance) {
  internal::WireBuffer out;
  msgpack::packer<internal::WireBuffer> pk(out);
  if (instance.whole != nullptr) {
    pk.pack_array(2);
    pk.pack(static_cast<std::uint8_t>(StateKind::stateful));
    pk.pack(instance.whole->save_state());
  } else if (instance.keyed != nullptr) {
    pk.pack_array(2);
    pk.pack(static_cast<std::uint8_t>(StateKind::keyed));
    pk.pack(instance.keyed->export_entries());
  } else {
    pk.pack_array(1);
    pk.pack(static_cast<std::uint8_t>(StateKind::stateless));
  }
  return std::move(out.bytes());
}

void import_state(const Instance& instance, std::span<const char> blob,
                  const internal::WireLimits& limits) {
  try {
    msgpack::object_handle h = internal::unpack_untrusted(blob, limits);
    const msgpack::object& o = h.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size < 1) throw UsageError("not an array");
    const auto kind = static_cast<StateKind>(o.via.array.ptr[0].as<std::uint8_t>());
    const bool has_payload = o.via.array.size == 2;
    if (kind == StateKind::stateful && instance.whole != nullptr && has_payload) {
      instance.whole->load_state(o.via.array.ptr[1].as<Bytes>());
    } else if (kind == StateKind::keyed && instance.keyed != nullptr && has_payload) {
      instance.keyed->import_entries(o.via.array.ptr[1].as<StateEntries>());
    } else if (!(kind == StateKind::stateless && instance.whole == nullptr &&
                 instance.keyed == nullptr)) {
      throw UsageError("the state's kind does not match the component's");
    }
  } catch (const UsageError& e) {
    throw UsageError(std::string("cannot load the moved state: ") + e.what());
  } catch (const std::exception& e) {
    throw UsageError(std::string("cannot load the moved state: ") + e.what());
  }
}

}  // namespace hatch::runtime
