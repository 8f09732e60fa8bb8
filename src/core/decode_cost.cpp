#include "hatch/internal/decode_cost.hpp"

#include <string>

#include "hatch/internal/codec.hpp"

namespace hatch::internal {

namespace {

// Counts what the parser walks through; stops it at the first bound broken. Every value
// takes at least one byte, so containers that claim more items than the input has bytes
// cannot all be there.
class CostVisitor : public msgpack::null_visitor {
 public:
  CostVisitor(std::size_t bytes, const WireLimits& limits) : bytes_(bytes), limits_(limits) {}

  bool start_array(std::uint32_t items) {
    if (!started_) top_array_items_ = items;
    return open("array", items, items);
  }
  bool end_array() { return close(); }
  bool start_map(std::uint32_t pairs) {
    return open("map", pairs, 2 * static_cast<std::size_t>(pairs));
  }
  bool end_map() { return close(); }

  void parse_error(std::size_t, std::size_t offset) {
    refusal_ = "undecodable msgpack at byte " + std::to_string(offset);
  }
  void insufficient_bytes(std::size_t, std::size_t) {
    refusal_ = "the msgpack value ends before its last item";
  }

  std::size_t values() const noexcept { return 1 + claimed_; }
  std::optional<std::uint32_t> top_array_items() const noexcept { return top_array_items_; }
  const std::string& refusal() const noexcept { return refusal_; }

 private:
  bool open(const char* kind, std::size_t items, std::size_t values) {
    started_ = true;
    if (items > limits_.max_container_items) {
      refusal_ = std::string("an ") + kind + " of " + std::to_string(items) +
                 " items, over the limit of " + std::to_string(limits_.max_container_items);
      return false;
    }
    claimed_ += values;
    if (claimed_ >= bytes_) {
      refusal_ = "containers that claim " + std::to_string(claimed_) + " values in " +
                 std::to_string(bytes_) + " bytes";
      return false;
    }
    if (++depth_ > limits_.max_depth) {
      refusal_ = "nesting deeper than " + std::to_string(limits_.max_depth);
      return false;
    }
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }

  const std::size_t bytes_;
  const WireLimits& limits_;
  bool started_ = false;
  std::size_t depth_ = 0;
  std::size_t claimed_ = 0;  // items all containers claim, a map's pair counting as two
  std::optional<std::uint32_t> top_array_items_;
  std::string refusal_;
};

}  // namespace

DecodeCost measure_untrusted(std::span<const char> bytes, const WireLimits& limits) {
  CostVisitor visitor(bytes.size(), limits);
  std::size_t offset = 0;
  const bool parsed = msgpack::parse(bytes.data(), bytes.size(), offset, visitor);
  if (!parsed || !visitor.refusal().empty()) {
    throw BadArguments(visitor.refusal().empty() ? std::string("undecodable msgpack")
                                                 : visitor.refusal());
  }
  if (offset != bytes.size()) throw BadArguments("trailing bytes after the msgpack value");
  DecodeCost cost;
  cost.input_bytes = bytes.size();
  cost.values = visitor.values();
  cost.top_array_items = visitor.top_array_items();
  return cost;
}

}  // namespace hatch::internal
