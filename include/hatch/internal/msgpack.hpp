// msgpack-cxx, plus the adaptors Hatch adds: std::variant, std::monostate and HATCH_FIELDS
// structs. Include msgpack only through this header so that every file sees the same adaptors.
#pragma once

#include <msgpack.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <variant>

#include "hatch/internal/wire_buffer.hpp"
#include "hatch/wire_type.hpp"

// msgpack-c 4.1 packs a float or double that holds a whole number as an integer, after a range
// check that admits 2^64, which it then casts to std::uint64_t: undefined behaviour. Hatch's
// packer (its stream is always a WireBuffer) makes the same choice with the bound excluded:
// a whole number in [-2^63, 2^64) goes as an integer through msgpack-c, anything else in the
// float format (0xca or 0xcb, then the value's bits, big-endian), as msgpack-c writes it.
namespace hatch::internal {

// Packs a float or double through `pk`, whose stream is `out`, as described above.
template <class Real>
void pack_real(msgpack::packer<WireBuffer>& pk, WireBuffer& out, Real d) {
  static_assert(sizeof(Real) == 4 || sizeof(Real) == 8);
  constexpr Real kTwoTo64 = static_cast<Real>(0x1p64);
  constexpr Real kMinusTwoTo63 = static_cast<Real>(-0x1p63);
  if (d >= 0 && d < kTwoTo64 && d == static_cast<Real>(static_cast<std::uint64_t>(d))) {
    pk.pack_uint64(static_cast<std::uint64_t>(d));
  } else if (d < 0 && d >= kMinusTwoTo63 && d == static_cast<Real>(static_cast<std::int64_t>(d))) {
    pk.pack_int64(static_cast<std::int64_t>(d));
  } else {
    char buf[1 + sizeof(Real)];
    if constexpr (sizeof(Real) == 4) {
      buf[0] = static_cast<char>(0xcau);
      _msgpack_store32(&buf[1], std::bit_cast<std::uint32_t>(d));
    } else {
      buf[0] = static_cast<char>(0xcbu);
      _msgpack_store64(&buf[1], std::bit_cast<std::uint64_t>(d));
    }
    out.write(buf, sizeof(buf));
  }
}

}  // namespace hatch::internal

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(v1) {
  template <>
  inline packer<hatch::internal::WireBuffer>& packer<hatch::internal::WireBuffer>::pack_float(
      float d) {
    hatch::internal::pack_real(*this, m_stream, d);
    return *this;
  }

  template <>
  inline packer<hatch::internal::WireBuffer>& packer<hatch::internal::WireBuffer>::pack_double(
      double d) {
    hatch::internal::pack_real(*this, m_stream, d);
    return *this;
  }
}  // MSGPACK_API_VERSION_NAMESPACE(v1)
}  // namespace msgpack

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
