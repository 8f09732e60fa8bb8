// Files that hold a secret (the cluster secret, a TLS private key) must be private to their
// owner, as ssh demands of a private key: a secret that others may read is no secret.
#pragma once

#include <string>

namespace hatch::rpc {

// Throws UsageError when `path` is not a regular file (a directory, say), or when the group or
// others may read or write it, naming it as `what` ("the cluster secret file") and giving the
// chmod that fixes it. A file that cannot be
// examined passes: reading it will say why it cannot be read.
void refuse_shared_file(const std::string& path, const std::string& what);

}  // namespace hatch::rpc
