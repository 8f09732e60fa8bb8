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

// A received frame: its body, and the raw tail that followed it (a moving state), if any.
// `storage` keeps the bytes that `body` and `tail` point into alive. A large tail is read into
// a buffer of its own, `landed`, which its receiver may take over instead of copying it.
struct Payload {
  std::shared_ptr<const void> storage;
  std::span<const char> body;
  std::span<const char> tail;
  std::shared_ptr<std::vector<std::byte>> landed;  // holds `tail` when it was read apart

  // The tail's bytes: `landed` itself when nothing else refers to it, else a copy.
  std::vector<std::byte> take_tail() {
    if (landed && landed.use_count() == 1) {
      std::vector<std::byte> out = std::move(*landed);
      landed.reset();
      tail = {};
      return out;
    }
    const auto* p = reinterpret_cast<const std::byte*>(tail.data());
    return std::vector<std::byte>(p, p + tail.size());
  }
};

}  // namespace hatch::internal
