// A web server corpus in a fresh temporary directory, for the web server's tests.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "corpus.hpp"
#include "hatch/options.hpp"

namespace hatch::test {

// Generates 24 documents (seed 5) in a new directory under the system's temporary directory,
// and removes the directory with the object.
class TempCorpus {
 public:
  TempCorpus() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hatch-web-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    web::generate_corpus(dir_, 24, 5);
  }
  ~TempCorpus() { std::filesystem::remove_all(dir_); }
  TempCorpus(const TempCorpus&) = delete;
  TempCorpus& operator=(const TempCorpus&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  // `o`, with the content store's data_dir set to this corpus.
  Options with_data_dir(Options o) const {
    o.configs["content_store"]["data_dir"] = dir_.string();
    return o;
  }
  // The bytes of the document at request path `path` ("/text/doc-00000.txt").
  std::string file(const std::string& path) const {
    std::ifstream in(dir_ / path.substr(1), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace hatch::test
