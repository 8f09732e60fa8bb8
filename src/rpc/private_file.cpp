#include "rpc/private_file.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include "hatch/error.hpp"

namespace hatch::rpc {

void refuse_shared_file(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    throw UsageError(fmt::format("{} '{}' is not a regular file{}", what, path,
                                 S_ISDIR(st.st_mode) ? " but a directory" : ""));
  }
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    throw UsageError(fmt::format(
        "{} '{}' may be read or written by others (mode {:04o}); make it private with `chmod 600 "
        "{}`",
        what, path, st.st_mode & 07777, path));
  }
}

}  // namespace hatch::rpc
