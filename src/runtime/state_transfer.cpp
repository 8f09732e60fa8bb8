#include "runtime/state_transfer.hpp"

#include "hatch/error.hpp"
#include "hatch/internal/codec.hpp"
#include "hatch/internal/shard_route.hpp"

namespace hatch::runtime {

void export_state(const Instance& instance, internal::WireBuffer& out, rpc::Tail& tail) {
  msgpack::packer<internal::WireBuffer> pk(out);
  if (instance.whole != nullptr) {
    auto bytes = std::make_shared<const Bytes>(instance.whole->take_state());
    pk.pack_array(2);
    pk.pack(static_cast<std::uint8_t>(StateKind::stateful));
    pk.pack(static_cast<std::uint64_t>(bytes->size()));
    tail.bytes = std::span<const char>(reinterpret_cast<const char*>(bytes->data()), bytes->size());
    tail.owner = std::move(bytes);
  } else if (instance.keyed != nullptr) {
    pk.pack_array(2);
    pk.pack(static_cast<std::uint8_t>(StateKind::keyed));
    pk.pack(instance.keyed->export_entries());
  } else {
    pk.pack_array(1);
    pk.pack(static_cast<std::uint8_t>(StateKind::stateless));
  }
}

StateEntries decode_entries(std::span<const char> packed, const internal::WireLimits& limits) {
  try {
    msgpack::object_handle h = internal::unpack_untrusted(packed, limits);
    const msgpack::object& o = h.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 2 ||
        o.via.array.ptr[0].as<std::uint8_t>() != static_cast<std::uint8_t>(StateKind::keyed)) {
      throw UsageError("not a keyed state");
    }
    return o.via.array.ptr[1].as<StateEntries>();
  } catch (const std::exception& e) {
    throw UsageError(std::string("cannot read the exported entries: ") + e.what());
  }
}

std::string pack_entries(const StateEntries& entries, int shard, std::uint32_t shards) {
  internal::WireBuffer out;
  msgpack::packer<internal::WireBuffer> pk(out);
  std::vector<const std::pair<std::string, Bytes>*> chosen;
  for (const auto& entry : entries) {
    if (shard < 0 || internal::jump_hash(internal::key_hash(entry.first), shards) ==
                         static_cast<std::uint32_t>(shard)) {
      chosen.push_back(&entry);
    }
  }
  pk.pack_array(2);
  pk.pack(static_cast<std::uint8_t>(StateKind::keyed));
  pk.pack_array(static_cast<std::uint32_t>(chosen.size()));
  for (const auto* entry : chosen) pk.pack(*entry);
  return std::move(out.bytes());
}

StateEntries resharded_entries(const Instance& instance, const std::vector<std::string>& new_homes,
                               const std::string& home, bool staying) {
  if (instance.keyed == nullptr) throw UsageError("only a keyed component can be resharded");
  const auto shards = static_cast<std::uint32_t>(new_homes.size());
  StateEntries all = instance.keyed->export_entries();
  StateEntries out;
  for (auto& entry : all) {
    const bool stays =
        new_homes[internal::jump_hash(internal::key_hash(entry.first), shards)] == home;
    if (stays == staying) out.push_back(std::move(entry));
  }
  return out;
}

void restore_state(const Instance& instance, const rpc::Tail& tail) {
  if (instance.whole == nullptr || !tail.owner) return;
  const auto* p = reinterpret_cast<const std::byte*>(tail.bytes.data());
  instance.whole->load_state(Bytes(p, p + tail.bytes.size()));
}

void import_state(const Instance& instance, const msgpack::object& o, internal::Payload& tail) {
  try {
    if (o.type != msgpack::type::ARRAY || o.via.array.size < 1) throw UsageError("not an array");
    const auto kind = static_cast<StateKind>(o.via.array.ptr[0].as<std::uint8_t>());
    const bool has_payload = o.via.array.size == 2;
    if (kind == StateKind::stateful && instance.whole != nullptr && has_payload) {
      const auto size = o.via.array.ptr[1].as<std::uint64_t>();
      if (size != tail.tail.size()) {
        throw UsageError("the state should be " + std::to_string(size) + " bytes, but " +
                         std::to_string(tail.tail.size()) + " arrived");
      }
      instance.whole->load_state(tail.take_tail());
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

void import_state(const Instance& instance, internal::Payload& state,
                  const internal::WireLimits& limits) {
  msgpack::object_handle h;
  try {
    h = internal::unpack_untrusted(state.body, limits);
  } catch (const std::exception& e) {
    throw UsageError(std::string("cannot load the moved state: ") + e.what());
  }
  import_state(instance, h.get(), state);
}

}  // namespace hatch::runtime
