// Content negotiation for response bodies: which coding, if any, a client accepts best.
#pragma once

#include <string>
#include <string_view>

namespace hatch::web {

// The coding to send to a client whose Accept-Encoding header is `header` (RFC 9110 12.5.3):
// "zstd" or "gzip", whichever has the higher q-value (zstd on a tie), or "" when neither is
// acceptable (absent, q=0, or an unparsable header). "*" stands for any coding not listed;
// "x-gzip" counts as gzip. A q-value that is not a number from 0 to 1 makes its coding
// unacceptable.
std::string negotiate_coding(std::string_view header);

}  // namespace hatch::web
