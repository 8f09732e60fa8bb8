// A growable byte buffer that msgpack's packer writes into, and the bytes of a received reply.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace hatch::internal {

// msgpack's packer needs only write(); std::string keeps small bodies off the heap.
class WireBuffer {
 public:
  void write(const char* data, std::size_t size) { bytes_.append(data, size); }
  std::string& bytes() noexcept { return bytes_; }
  const std::string& bytes() const noexcept { return bytes_; }

 private:
  std::string bytes_;
};

// A received frame body. `storage` keeps the bytes that `body` points into alive.
struct Payload {
  std::shared_ptr<const void> storage;
  std::span<const char> body;
};

}  // namespace hatch::internal
