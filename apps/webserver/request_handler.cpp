// The "request_handler" component: resolves one request through the other components, wherever
// they live. Stateless: it holds only refs.
#include "request_handler.hpp"

#include "cache.hpp"
#include "compressor.hpp"
#include "content_store.hpp"
#include "content_type.hpp"
#include "document_path.hpp"
#include "hatch/component.hpp"
#include "stats.hpp"
#include "stats_json.hpp"

namespace hatch::web {
namespace {

WebResponse text(std::int32_t status, std::string message) {
  return WebResponse{status, "text/plain; charset=utf-8", "", std::move(message) + "\n"};
}

class DocumentHandler final : public RequestHandler {
 public:
  explicit DocumentHandler(Context& ctx)
      : cache_(ctx.ref<Cache>("cache")),
        store_(ctx.ref<ContentStore>("content_store")),
        compressor_(ctx.ref<Compressor>("compressor")),
        stats_(ctx.ref<Stats>("stats")) {}

  WebResponse handle(const WebRequest& request) override {
    const bool read = request.method == "GET" || request.method == "HEAD";
    if (request.path == "/stats") {
      if (!read) return text(405, "method not allowed");
      return WebResponse{200, "application/json", "", stats_json(stats_->all())};
    }
    if (request.path == "/") return text(404, "not found");
    if (const std::string why = document_path_problem(request.path); !why.empty()) {
      return text(400, "bad path: " + why);
    }
    if (read) return serve(request.path, request.coding);
    if (request.method == "PUT") return upload(request.path, request.body);
    return text(405, "method not allowed");
  }

 private:
  WebResponse serve(const std::string& path, const std::string& accepted) {
    std::string type = content_type_of(path);
    const bool compress = !accepted.empty() && is_compressible(type);
    const std::string coding = compress ? accepted : "identity";
    std::string body;
    if (std::optional<CachedBody> hit = cache_->get(path, coding)) {
      body = std::move(hit->body);
    } else {
      std::optional<Document> doc = store_->get(path);
      if (!doc) return text(404, "not found");
      body = compress ? compressor_->compress(coding, doc->body) : std::move(doc->body);
      cache_->put(path, coding, CachedBody{doc->version, body});
    }
    stats_->record_read(path, body.size());
    return WebResponse{200, std::move(type), compress ? coding : "", std::move(body)};
  }

  WebResponse upload(const std::string& path, const std::string& body) {
    const std::optional<std::uint64_t> version = store_->put(path, body);
    if (!version) return text(404, "not found: uploads replace existing documents only");
    cache_->put(path, "identity", CachedBody{*version, body});
    stats_->record_upload(path);
    return WebResponse{204, "", "", ""};
  }

  Ref<Cache> cache_;
  Ref<ContentStore> store_;
  Ref<Compressor> compressor_;
  Ref<Stats> stats_;
};

}  // namespace

HATCH_COMPONENT(DocumentHandler, RequestHandler, "request_handler");

}  // namespace hatch::web
