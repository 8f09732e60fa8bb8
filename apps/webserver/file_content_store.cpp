// The "content_store" component: documents read from a data directory, replaced by uploads that
// it keeps in memory as its keyed state. Every get and put costs one access of an emulated
// device (emulated_device.hpp), one device per instance.
//
// Config:
//   data_dir               (string, required) the corpus directory, the same path on every host
//   emulated_access_us     (int, default 0) emulated time of one access, in microseconds
//   emulated_access_slots  (int, default 1) accesses the emulated device serves at once
//   max_document_bytes     (int, default 16 MiB) a larger corpus file is refused (an error)
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>

#include "content_store.hpp"
#include "document_path.hpp"
#include "emulated_device.hpp"
#include "hatch/component.hpp"

namespace hatch::web {
namespace {

std::int64_t positive(Context& ctx, std::string_view key, std::int64_t fallback) {
  const std::int64_t v = ctx.config<std::int64_t>(key, fallback);
  if (v < 1) throw UsageError("content_store: " + std::string(key) + " must be at least 1");
  return v;
}

class FileContentStore final : public ContentStore, public KeyedState {
 public:
  explicit FileContentStore(Context& ctx)
      : data_dir_(ctx.config<std::string>("data_dir", "")),
        max_document_bytes_(positive(ctx, "max_document_bytes", std::int64_t{16} << 20)),
        device_(std::chrono::microseconds(ctx.config<std::int64_t>("emulated_access_us", 0)),
                positive(ctx, "emulated_access_slots", 1)) {
    if (data_dir_.empty()) throw UsageError("content_store: config 'data_dir' is not set");
  }

  std::optional<Document> get(const std::string& path) override {
    if (!is_document_path(path)) return std::nullopt;
    device_.access();
    {
      std::lock_guard lock(mu_);
      if (auto it = uploads_.find(path); it != uploads_.end()) return it->second;
    }
    std::optional<std::string> body = read_file(path);
    if (!body) return std::nullopt;
    return Document{0, std::move(*body)};
  }

  std::optional<std::uint64_t> put(const std::string& path, const std::string& body) override {
    if (!is_document_path(path)) return std::nullopt;
    device_.access();
    std::lock_guard lock(mu_);
    auto it = uploads_.find(path);
    if (it == uploads_.end()) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(file_of(path), ec)) return std::nullopt;
      it = uploads_.emplace(path, Document{}).first;
    }
    it->second.version += 1;
    it->second.body = body;
    return it->second.version;
  }

  StateEntries export_entries() override {
    std::lock_guard lock(mu_);
    return to_entries(uploads_);
  }
  void import_entries(StateEntries entries) override {
    std::lock_guard lock(mu_);
    add_entries(uploads_, entries);
  }

 private:
  std::filesystem::path file_of(const std::string& path) const {
    return data_dir_ / std::filesystem::path(path.substr(1));
  }

  std::optional<std::string> read_file(const std::string& path) const {
    const std::filesystem::path file = file_of(path);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) return std::nullopt;
    const std::uintmax_t size = std::filesystem::file_size(file, ec);
    if (ec) return std::nullopt;
    if (size > static_cast<std::uintmax_t>(max_document_bytes_)) {
      throw std::length_error(path + " is larger than max_document_bytes");
    }
    std::string body(size, '\0');
    std::ifstream in(file, std::ios::binary);
    if (!in.read(body.data(), static_cast<std::streamsize>(size))) {
      throw std::runtime_error("cannot read " + path);
    }
    return body;
  }

  const std::filesystem::path data_dir_;
  const std::int64_t max_document_bytes_;
  EmulatedDevice device_;
  std::mutex mu_;
  std::map<std::string, Document> uploads_;  // guarded by mu_
};

}  // namespace

HATCH_COMPONENT(FileContentStore, ContentStore, "content_store");

}  // namespace hatch::web
