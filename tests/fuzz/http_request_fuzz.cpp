// Fuzzes the web server's request parsing: what a client sends on one connection, through Beast's
// request parser with the limits the front end sets (FrontendOptions' defaults, applied as
// frontend.cpp applies them), then each request that parses through what the front end and the
// request handler make of it, with no network: its path and coding, the document path check
// (document_path.hpp) and the request_handler component itself, which runs with the web server's
// other components in a local Origin over a data directory made for the fuzzer. Requests follow
// one another while they keep the connection alive, as in Frontend's session.
//
// Properties, beyond no crash, no undefined behaviour and no leak:
// - a request's header is complete within twice max_header_bytes (the request line and the
//   fields each within it), its body within max_body_bytes;
// - the negotiated coding is "", "gzip" or "zstd";
// - a path that the check accepts is a relative file name that stays below the data directory;
// - the handler answers 200, 204, 400, 404 or 405, and nothing from outside the data directory;
// - a 200 for a document answers, when uncompressed, its current body: the corpus file, or the
//   body of the last upload that was answered 204.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "accept_encoding.hpp"
#include "beast.hpp"
#include "document_path.hpp"
#include "frontend.hpp"
#include "fuzz_check.hpp"
#include "hatch/catalog.hpp"
#include "hatch/origin.hpp"
#include "request_handler.hpp"

namespace hatch::fuzz {
namespace {

namespace http = boost::beast::http;
using Parser = http::request_parser<http::string_body>;

// Text that only a file outside the data directory holds.
constexpr std::string_view kOutsideMarker = "HATCH-FUZZ: outside the data directory";

// The documents of the data directory, by path, as the fuzzer's requests find them.
const std::map<std::string, std::string> kCorpus = {
    {"/index.html", "<html><body>hatch</body></html>\n"},
    {"/style.css", "body { color: black; }\n"},
    {"/docs/guide.txt", "a guide, in plain text\n"},
    {"/docs/data.json", "{\"documents\": 3}\n"},
    {"/img/logo.png", std::string("\x89PNG\r\n\x1a\n", 8)},
};

// The web server's components in one process, over a data directory of kCorpus beside a file
// that must never be served. Lives until the process ends; its directory is removed then.
struct Site {
  Site() {
    char dir[] = "/tmp/hatch-http-fuzz-XXXXXX";
    check(::mkdtemp(dir) != nullptr, "a temporary directory can be made");
    root = dir;
    const std::filesystem::path data = root / "data";
    for (const auto& [path, body] : kCorpus) {
      const std::filesystem::path file = data / path.substr(1);
      std::filesystem::create_directories(file.parent_path());
      std::ofstream(file, std::ios::binary) << body;
    }
    std::ofstream(root / "secret.txt", std::ios::binary) << kOutsideMarker;
    std::ofstream(data / "docs" / "secret.txt", std::ios::binary) << "a document named secret\n";
    Options options;
    options.io_threads = 2;
    options.configs["content_store"]["data_dir"] = data.string();
    origin = std::make_unique<Origin>(Catalog::program(), options);
    handler = origin->get<web::RequestHandler>("request_handler");
    current = kCorpus;
    current["/docs/secret.txt"] = "a document named secret\n";
  }

  std::filesystem::path root;
  std::unique_ptr<Origin> origin;
  Ref<web::RequestHandler> handler;
  std::map<std::string, std::string> current;  // each document's body now
};

Site* site = nullptr;

void check_path(const std::string& path) {
  if (!web::is_document_path(path)) return;
  const std::filesystem::path name(path.substr(1));
  check(path.size() <= web::kMaxDocumentPath && name.is_relative() && !name.empty() &&
            name.lexically_normal() == name && *name.begin() != "..",
        "an accepted document path is a relative name that stays below the data directory");
}

void serve(Parser& parser) {
  http::request<http::string_body> req = parser.release();
  if (req.version() != 10 && req.version() != 11) return;  // the front end answers 505 itself
  // As Frontend::Impl::respond makes it: the target without its query, the negotiated coding.
  const boost::beast::string_view target = req.target();
  const boost::beast::string_view path = target.substr(0, target.find('?'));
  const boost::beast::string_view accepted = req[http::field::accept_encoding];
  const web::WebRequest request{
      std::string(req.method_string()), std::string(path),
      web::negotiate_coding(std::string_view(accepted.data(), accepted.size())),
      std::move(req.body())};
  check(request.coding.empty() || request.coding == "gzip" || request.coding == "zstd",
        "the negotiated coding is none, gzip or zstd");
  check_path(request.path);

  const web::WebResponse answer = site->handler->handle(request);
  check(answer.status == 200 || answer.status == 204 || answer.status == 400 ||
            answer.status == 404 || answer.status == 405,
        "the handler answers 200, 204, 400, 404 or 405");
  check(answer.body.find(kOutsideMarker) == std::string::npos,
        "nothing from outside the data directory is served");
  const auto document = site->current.find(request.path);
  if (answer.status == 204) {
    check(document != site->current.end(), "an upload replaces a document of the corpus");
    document->second = request.body;
  } else if (answer.status == 200 && request.path != "/stats") {
    check(document != site->current.end(), "a document is served only from the corpus");
    if (answer.content_encoding.empty()) {
      check(answer.body == document->second, "a document is served with its current body");
    }
  }
}

}  // namespace
}  // namespace hatch::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  hatch::fuzz::site = new hatch::fuzz::Site();
  std::atexit([] {
    std::error_code ignored;
    std::filesystem::remove_all(hatch::fuzz::site->root, ignored);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hatch;
  namespace asio = boost::asio;
  const web::FrontendOptions options;
  std::size_t pos = 0;
  while (pos < size) {
    fuzz::Parser parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    boost::beast::error_code ec;
    // The header first, then the body, as the front end reads them; all that is left of the
    // input is what the client has sent.
    const std::size_t header = parser.put(asio::buffer(data + pos, size - pos), ec);
    if (ec || !parser.is_header_done()) return 0;
    // Beast (1.74) applies the limit to the request line and to the fields, each on its own.
    fuzz::check(header <= 2 * options.max_header_bytes, "a header is complete within the limit");
    pos += header;
    while (!ec && !parser.is_done() && pos < size) {
      const std::size_t n = parser.put(asio::buffer(data + pos, size - pos), ec);
      pos += n;
      if (n == 0) break;
    }
    if (ec || !parser.is_done()) return 0;
    fuzz::check(parser.get().body().size() <= options.max_body_bytes,
                "a body is complete within the limit");
    const bool keep_alive = parser.get().keep_alive();
    fuzz::serve(parser);
    if (!keep_alive) return 0;
  }
  return 0;
}
