// HATCH_INTERFACE: declare a component interface once, with each method's distribution semantics.
//
//   HATCH_INTERFACE(Cache,
//     (read,  std::optional<std::string>, get,  (std::string),              shard_key<0>),
//     (write, void,                       put,  (std::string, std::string), shard_key<0>),
//     (read,  std::uint64_t,              size, (),                         merge_sum));
//
// Each method is a tuple: (read|write, result type, name, (argument types), options...). The
// options are shard_key<N> and merge_sum / merge_concat / merge_min / merge_max / merge_any /
// merge_all / merge_first_non_empty / merge_custom (see method_spec.hpp). A type that contains a
// comma is wrapped in parentheses: `((std::map<std::string, int>))`. Method names must be unique
// within an interface (no overloads): a method is identified on the wire by its index.
//
// The macro expands to:
//   - an abstract class `Name` with one pure virtual function per method, which components
//     implement and callers reach through hatch::Ref<Name>;
//   - `Name::hatch_methods`, the recorded MethodInfo of every method, and a signature string that
//     lets a node check that it was built with the same interface as the origin;
//   - `Name::HatchProxy<Link>`, the class that forwards every method over a Link (with the
//     method's index and member pointer, so a link can call again elsewhere). It is a
//     template, so the serialization code is compiled only where a component is registered
//     (HATCH_COMPONENT), not in every file that includes the interface.
//
// Every argument and result type is checked at compile time: a type that cannot cross the wire
// is an error naming the method and the type (see wire_type.hpp).
#pragma once

#include <array>
#include <string_view>
#include <tuple>
#include <utility>

#include <boost/preprocessor/arithmetic/dec.hpp>
#include <boost/preprocessor/cat.hpp>
#include <boost/preprocessor/punctuation/comma_if.hpp>
#include <boost/preprocessor/punctuation/remove_parens.hpp>
#include <boost/preprocessor/repetition/repeat.hpp>
#include <boost/preprocessor/repetition/repeat_from_to.hpp>
#include <boost/preprocessor/seq/for_each_i.hpp>
#include <boost/preprocessor/stringize.hpp>
#include <boost/preprocessor/tuple/elem.hpp>
#include <boost/preprocessor/tuple/size.hpp>
#include <boost/preprocessor/variadic/size.hpp>
#include <boost/preprocessor/variadic/to_seq.hpp>

#include "hatch/method_spec.hpp"
#include "hatch/wire_type.hpp"

#define HATCH_INTERFACE(Name, ...)                                                             \
  class Name {                                                                                 \
   public:                                                                                     \
    virtual ~Name() = default;                                                                 \
    BOOST_PP_SEQ_FOR_EACH_I(HATCH_DETAIL_PURE, Name, BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__))    \
    static constexpr std::string_view hatch_interface_name = #Name;                            \
    static constexpr std::string_view hatch_signature = #__VA_ARGS__;                          \
    static constexpr std::array<::hatch::MethodInfo, BOOST_PP_VARIADIC_SIZE(__VA_ARGS__)>      \
        hatch_methods{{BOOST_PP_SEQ_FOR_EACH_I(HATCH_DETAIL_INFO, Name,                        \
                                               BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__))}};       \
    static constexpr auto hatch_method_pointers() {                                            \
      return std::make_tuple(BOOST_PP_SEQ_FOR_EACH_I(HATCH_DETAIL_POINTER, Name,               \
                                                     BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__)));  \
    }                                                                                          \
    template <class Link>                                                                      \
    class HatchProxy;                                                                          \
  };                                                                                           \
  template <class Link>                                                                        \
  class Name::HatchProxy final : public Name {                                                 \
   public:                                                                                     \
    explicit HatchProxy(Link link) : hatch_link_(std::move(link)) {}                           \
    Link& hatch_link() noexcept { return hatch_link_; }                                        \
    BOOST_PP_SEQ_FOR_EACH_I(HATCH_DETAIL_FORWARD, Name, BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__)) \
                                                                                               \
   private:                                                                                    \
    Link hatch_link_;                                                                          \
  };                                                                                           \
  BOOST_PP_SEQ_FOR_EACH_I(HATCH_DETAIL_CHECKS, Name, BOOST_PP_VARIADIC_TO_SEQ(__VA_ARGS__))    \
  static_assert(true, "")

// Parts of one method tuple m = (semantics, result, name, (args), options...).
#define HATCH_DETAIL_SEM(m) BOOST_PP_TUPLE_ELEM(0, m)
#define HATCH_DETAIL_RESULT(m) BOOST_PP_REMOVE_PARENS(BOOST_PP_TUPLE_ELEM(1, m))
#define HATCH_DETAIL_NAME(m) BOOST_PP_TUPLE_ELEM(2, m)
#define HATCH_DETAIL_ARGS(m) BOOST_PP_TUPLE_ELEM(3, m)
#define HATCH_DETAIL_ARITY(m) HATCH_DETAIL_APPLY(HATCH_DETAIL_ARITY_I, HATCH_DETAIL_ARGS(m))
#define HATCH_DETAIL_APPLY(f, args) f args
#define HATCH_DETAIL_ARITY_I(...) BOOST_PP_DEC(BOOST_PP_VARIADIC_SIZE(__VA_ARGS__ __VA_OPT__(, ) _))
#define HATCH_DETAIL_ARG_TYPE(i, args) BOOST_PP_REMOVE_PARENS(BOOST_PP_TUPLE_ELEM(i, args))

#define HATCH_DETAIL_PARAM(z, i, args) BOOST_PP_COMMA_IF(i) HATCH_DETAIL_ARG_TYPE(i, args) a##i
#define HATCH_DETAIL_ARG_NAME(z, i, args) , std::forward<HATCH_DETAIL_ARG_TYPE(i, args)>(a##i)
#define HATCH_DETAIL_PARAMS(m) \
  BOOST_PP_REPEAT(HATCH_DETAIL_ARITY(m), HATCH_DETAIL_PARAM, HATCH_DETAIL_ARGS(m))

#define HATCH_DETAIL_PURE(r, Name, i, m) \
  virtual HATCH_DETAIL_RESULT(m) HATCH_DETAIL_NAME(m)(HATCH_DETAIL_PARAMS(m)) = 0;

#define HATCH_DETAIL_OPTION(z, i, m) , ::hatch::spec::BOOST_PP_TUPLE_ELEM(i, m)
#define HATCH_DETAIL_INFO(r, Name, i, m)                                                \
  BOOST_PP_COMMA_IF(i)::hatch::spec::make_method(BOOST_PP_STRINGIZE(HATCH_DETAIL_NAME(m)), ::hatch::spec::HATCH_DETAIL_SEM(m), HATCH_DETAIL_ARITY(m), \
      {::hatch::MethodOption{} BOOST_PP_REPEAT_FROM_TO(4, BOOST_PP_TUPLE_SIZE(m),       \
                                                       HATCH_DETAIL_OPTION, m)})

#define HATCH_DETAIL_POINTER(r, Name, i, m) BOOST_PP_COMMA_IF(i) & Name::HATCH_DETAIL_NAME(m)

#define HATCH_DETAIL_FORWARD(r, Name, i, m)                                          \
  HATCH_DETAIL_RESULT(m) HATCH_DETAIL_NAME(m)(HATCH_DETAIL_PARAMS(m)) override {     \
    return hatch_link_.template call<HATCH_DETAIL_RESULT(m)>(                        \
        i, &Name::HATCH_DETAIL_NAME(m) BOOST_PP_REPEAT(                              \
               HATCH_DETAIL_ARITY(m), HATCH_DETAIL_ARG_NAME, HATCH_DETAIL_ARGS(m))); \
  }

#define HATCH_DETAIL_ARG_CHECK(z, i, data)                                           \
  static_assert(                                                                     \
      ::hatch::WireArgument<HATCH_DETAIL_ARG_TYPE(i, BOOST_PP_TUPLE_ELEM(1, data))>, \
      "hatch: argument " BOOST_PP_STRINGIZE(i) " of " BOOST_PP_STRINGIZE(               \
                    BOOST_PP_TUPLE_ELEM(0, data)) " has a type that cannot cross the wire: use "                   \
                    "integers, floating point, bool, std::string, "                  \
                    "hatch::Bytes, std::vector, std::map, "                          \
                    "std::unordered_map, std::optional, "                            \
                    "std::pair, std::tuple, std::variant, or a "                     \
                    "struct with HATCH_FIELDS; by value or const&");

#define HATCH_DETAIL_CHECKS(r, Name, i, m)                                                  \
  static_assert(                                                                            \
      ::hatch::WireResult<HATCH_DETAIL_RESULT(m)>,                                          \
      "hatch: the result type of " #Name "::" BOOST_PP_STRINGIZE(HATCH_DETAIL_NAME(        \
                    m)) " cannot cross the wire: use void or a wire type (see hatch/wire_type.hpp)"); \
  BOOST_PP_REPEAT(HATCH_DETAIL_ARITY(m), HATCH_DETAIL_ARG_CHECK,                            \
                  (Name::HATCH_DETAIL_NAME(m), HATCH_DETAIL_ARGS(m)))                       \
  static_assert(Name::hatch_methods[i].shard_key < Name::hatch_methods[i].arity,            \
                "hatch: the shard_key of " #Name "::" BOOST_PP_STRINGIZE(HATCH_DETAIL_NAME(         \
                    m)) " names an argument the method does not have");
