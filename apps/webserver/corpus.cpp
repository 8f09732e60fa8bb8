#include "corpus.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include "document_path.hpp"
#include "split_mix64.hpp"

namespace hatch::web {
namespace {

constexpr std::array<std::string_view, 24> kWords{
    "hatch",   "origin",    "node",    "component", "shard",    "replica", "cache",  "learner",
    "request", "response",  "design",  "placement", "latency",  "window",  "reward", "transition",
    "state",   "interface", "binding", "gateway",   "compress", "store",   "server", "workload"};

std::string text_body(SplitMix64& rng, std::size_t size) {
  std::string out;
  out.reserve(size + 16);
  std::size_t on_line = 0;
  while (out.size() < size) {
    out += kWords[rng.below(kWords.size())];
    out += ++on_line % 12 == 0 ? '\n' : ' ';
  }
  out.resize(size);
  return out;
}

std::string binary_body(SplitMix64& rng, std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; i += 8) {
    const std::uint64_t v = rng.next();
    for (std::size_t b = 0; b < 8 && i + b < size; ++b)
      out[i + b] = static_cast<char>(v >> (8 * b));
  }
  return out;
}

}  // namespace

std::vector<std::string> generate_corpus(const std::filesystem::path& dir, std::size_t files,
                                         std::uint64_t seed) {
  constexpr std::array<std::string_view, 5> kTextExt{".html", ".txt", ".css", ".js", ".json"};
  constexpr std::array<std::string_view, 3> kBinaryExt{".bin", ".png", ".jpg"};
  std::filesystem::create_directories(dir / "text");
  std::filesystem::create_directories(dir / "bin");
  SplitMix64 rng(seed);
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < files; ++i) {
    const bool text = rng.unit() < 0.7;
    const auto size = static_cast<std::size_t>(512.0 * std::exp2(rng.unit() * 8.0));
    char number[24];
    std::snprintf(number, sizeof number, "%05zu", i);
    const std::string name =
        text ? "text/doc-" + std::string(number) + std::string(kTextExt[rng.below(kTextExt.size())])
             : "bin/blob-" + std::string(number) +
                   std::string(kBinaryExt[rng.below(kBinaryExt.size())]);
    const std::string body = text ? text_body(rng, size) : binary_body(rng, size);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
    paths.push_back("/" + name);
  }
  return paths;
}

std::vector<std::string> list_corpus(const std::filesystem::path& dir) {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::string path = "/" + std::filesystem::relative(entry.path(), dir).generic_string();
    if (is_document_path(path)) paths.push_back(std::move(path));
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

bool is_text_path(const std::string& path) {
  return path.starts_with("/text/");
}

}  // namespace hatch::web
