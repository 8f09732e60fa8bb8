// EMULATION, not a network property: a Stream whose writes leave `latency` late, as if the link
// were that much longer. The writer is not held up: bytes wait in order on one timer per
// stream, then go to the stream underneath. Reads pass straight through.
#pragma once

#include <chrono>
#include <memory>

#include "rpc/stream.hpp"

namespace hatch::rpc {

std::unique_ptr<Stream> delay_writes(std::unique_ptr<Stream> stream,
                                     std::chrono::microseconds latency);

}  // namespace hatch::rpc
