// The generated corpus the web server serves: text documents (compressible words) and binary
// ones (random bytes), the same bytes for the same seed on every machine.
//
//   generate_corpus("/tmp/corpus", 1000, 42);   // writes text/doc-00000.html,
//   bin/blob-00001.bin... std::vector<std::string> paths = list_corpus("/tmp/corpus");  //
//   "/bin/blob-00001.bin", ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hatch::web {

// Writes `files` documents below `dir` (created if needed; files of the same name are replaced):
// about 70% text (.html, .txt, .css, .js, .json under text/) and 30% binary (.bin, .png, .jpg
// under bin/), of sizes spread log-uniformly from 512 B to 128 KiB. Returns their request paths
// in generation order. Throws std::runtime_error when a file cannot be written.
std::vector<std::string> generate_corpus(const std::filesystem::path& dir, std::size_t files,
                                         std::uint64_t seed);

// The request paths of every regular file below `dir` whose path is a document path, sorted.
std::vector<std::string> list_corpus(const std::filesystem::path& dir);

// True for a path that generate_corpus puts under text/.
bool is_text_path(const std::string& path);

}  // namespace hatch::web
