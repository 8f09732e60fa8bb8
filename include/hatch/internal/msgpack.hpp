// msgpack-cxx, plus the adaptors Hatch adds: std::variant, std::monostate and HATCH_FIELDS
// structs. Include msgpack only through this header so that every file sees the same adaptors.
#pragma once

#include <msgpack.hpp>

#include <cstddef>
#include <utility>
#include <variant>

#include "hatch/wire_type.hpp"

namespace hatch::internal {

template <class Variant, std::size_t... I>
void emplace_variant(Variant& v, std::size_t index, const msgpack::object& o,
                     std::index_sequence<I...>) {
  bool found =
      ((index == I ? (v.template emplace<I>(o.as<std::variant_alternative_t<I, Variant>>()), true)
                   : false) ||
       ...);
  if (!found) throw msgpack::type_error();
}

}  // namespace hatch::internal

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {

  // std::variant travels as [index, value].
  template <class... Ts>
  struct pack<std::variant<Ts...>> {
    template <class Stream>
    packer<Stream>& operator()(packer<Stream>& o, const std::variant<Ts...>& v) const {
      o.pack_array(2);
      o.pack(static_cast<std::uint32_t>(v.index()));
      std::visit([&o](const auto& x) { o.pack(x); }, v);
      return o;
    }
  };
  template <class... Ts>
  struct convert<std::variant<Ts...>> {
    const msgpack::object& operator()(const msgpack::object& o, std::variant<Ts...>& v) const {
      if (o.type != msgpack::type::ARRAY || o.via.array.size != 2) throw msgpack::type_error();
      const std::size_t index = o.via.array.ptr[0].as<std::size_t>();
      hatch::internal::emplace_variant(v, index, o.via.array.ptr[1],
                                       std::index_sequence_for<Ts...>{});
      return o;
    }
  };

  template <>
  struct pack<std::monostate> {
    template <class Stream>
    packer<Stream>& operator()(packer<Stream>& o, const std::monostate&) const {
      o.pack_nil();
      return o;
    }
  };
  template <>
  struct convert<std::monostate> {
    const msgpack::object& operator()(const msgpack::object& o, std::monostate&) const {
      if (o.type != msgpack::type::NIL) throw msgpack::type_error();
      return o;
    }
  };

  // A HATCH_FIELDS struct travels as the array of its fields.
  template <class T>
  struct pack<T, std::enable_if_t<hatch::HasHatchFields<T>>> {
    template <class Stream>
    packer<Stream>& operator()(packer<Stream>& o, const T& v) const {
      std::apply(
          [&o](const auto&... f) {
            o.pack_array(sizeof...(f));
            (o.pack(f), ...);
          },
          v.hatch_fields());
      return o;
    }
  };
  template <class T>
  struct convert<T, std::enable_if_t<hatch::HasHatchFields<T>>> {
    const msgpack::object& operator()(const msgpack::object& o, T& v) const {
      auto fields = v.hatch_fields_mut();
      if (o.type != msgpack::type::ARRAY || o.via.array.size != std::tuple_size_v<decltype(fields)>)
        throw msgpack::type_error();
      std::size_t i = 0;
      std::apply([&](auto&... f) { (o.via.array.ptr[i++].convert(f), ...); }, fields);
      return o;
    }
  };

  }  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE
}  // namespace msgpack
