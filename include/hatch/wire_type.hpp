// Which C++ types may cross the wire as a method's argument or result.
//
// Hatch serializes arguments, results and state with msgpack. This header says, without pulling
// msgpack in, which types are supported, so that an interface with an unsupported type fails to
// compile with a message that names the method and the type (see interface.hpp).
//
// Supported ("wire types"): integers, floating point, bool, std::string, hatch::Bytes,
// std::vector, std::map, std::unordered_map, std::optional, std::pair, std::tuple and
// std::variant of wire types, and user structs that opt in with one line:
//
//   struct Point {
//     int x = 0;
//     int y = 0;
//     HATCH_FIELDS(x, y);   // fields travel in this order, as a msgpack array
//   };
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace hatch {

// An opaque byte buffer; it travels as msgpack `bin`.
using Bytes = std::vector<std::byte>;

template <class T>
struct IsWireType
    : std::bool_constant<(std::is_integral_v<T> ||
                          std::is_floating_point_v<T>)&&!std::is_same_v<T, long double>> {};

template <class T>
inline constexpr bool is_wire_type_v = IsWireType<std::remove_cv_t<T>>::value;

template <>
struct IsWireType<std::string> : std::true_type {};
template <>
struct IsWireType<std::monostate> : std::true_type {};
template <>
struct IsWireType<std::byte> : std::true_type {};
template <class T, class A>
struct IsWireType<std::vector<T, A>> : std::bool_constant<is_wire_type_v<T>> {};
template <class K, class V, class C, class A>
struct IsWireType<std::map<K, V, C, A>>
    : std::bool_constant<is_wire_type_v<K> && is_wire_type_v<V>> {};
template <class K, class V, class H, class E, class A>
struct IsWireType<std::unordered_map<K, V, H, E, A>>
    : std::bool_constant<is_wire_type_v<K> && is_wire_type_v<V>> {};
template <class T>
struct IsWireType<std::optional<T>> : std::bool_constant<is_wire_type_v<T>> {};
template <class A, class B>
struct IsWireType<std::pair<A, B>> : std::bool_constant<is_wire_type_v<A> && is_wire_type_v<B>> {};
template <class... Ts>
struct IsWireType<std::tuple<Ts...>> : std::bool_constant<(is_wire_type_v<Ts> && ...)> {};
template <class... Ts>
struct IsWireType<std::variant<Ts...>> : std::bool_constant<(is_wire_type_v<Ts> && ...)> {};

// A struct opted in with HATCH_FIELDS: it is a wire type when all its fields are.
template <class T>
concept HasHatchFields = requires(const T& t) {
  t.hatch_fields();
};

template <HasHatchFields T>
struct IsWireType<T>
    : IsWireType<std::remove_cvref_t<decltype(std::declval<const T&>().hatch_fields())>> {};

// Tuples of references, as produced by HATCH_FIELDS, check their referred-to types.
template <class... Ts>
struct IsWireType<std::tuple<const Ts&...>> : std::bool_constant<(is_wire_type_v<Ts> && ...)> {};

// An argument may be taken by value or by const reference; the decayed type must be a wire type.
template <class T>
concept WireArgument =
    (!std::is_reference_v<T> ||
     std::is_const_v<std::remove_reference_t<T>>)&&!std::is_pointer_v<std::decay_t<T>> &&
    is_wire_type_v<std::decay_t<T>>;

template <class T>
concept WireResult = std::is_void_v<T> ||(!std::is_reference_v<T> && is_wire_type_v<T>);

}  // namespace hatch

// Opts a struct in as a wire type. Put it inside the struct, naming every field in wire order.
#define HATCH_FIELDS(...)         \
  auto hatch_fields() const {     \
    return std::tie(__VA_ARGS__); \
  }                               \
  auto hatch_fields_mut() {       \
    return std::tie(__VA_ARGS__); \
  }                               \
  static_assert(true, "")
