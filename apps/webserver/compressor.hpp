// Compressor: CPU-bound and stateless, so it can be replicated to spread the work.
#pragma once

#include <string>

#include "hatch/interface.hpp"

namespace hatch::web {

HATCH_INTERFACE(Compressor,
                // `body` compressed with `coding` ("gzip" or "zstd"). Throws
                // std::invalid_argument for another coding.
                (read, std::string, compress, (const std::string&, const std::string&)));

}  // namespace hatch::web
