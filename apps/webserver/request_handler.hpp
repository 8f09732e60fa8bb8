// RequestHandler: what the server answers to one request, as plain values: HTTP parsing and
// writing stay in the Frontend, so the handler can run on any host. Stateless.
//
//   GET|HEAD /stats        every path's counters as JSON (see stats_json.hpp)
//   GET|HEAD /<document>   the document: Cache first, else ContentStore (then Cache), compressed
//                          by Compressor when the client accepts a coding and the type is
//                          compressible; counted in Stats
//   PUT /<document>        replaces the body of an existing document (204); uploads do not
//                          create paths (404); counted in Stats
// Anything else gets a 4xx with a one-line text/plain reason.
#pragma once

#include <cstdint>
#include <string>

#include "hatch/interface.hpp"

namespace hatch::web {

struct WebRequest {
  std::string method;  // "GET", "HEAD", "PUT", ... as the client sent it
  std::string path;    // the target without its query string
  std::string coding;  // the coding negotiated from Accept-Encoding: "", "gzip" or "zstd"
  std::string body;    // for PUT: the new body; its type follows from the path
  HATCH_FIELDS(method, path, coding, body);
};

struct WebResponse {
  std::int32_t status = 200;
  std::string content_type;
  std::string content_encoding;  // empty for identity
  std::string body;              // for HEAD too: the Frontend sends its length, not the bytes
  HATCH_FIELDS(status, content_type, content_encoding, body);
  friend bool operator==(const WebResponse&, const WebResponse&) = default;
};

HATCH_INTERFACE(RequestHandler,
                (read, hatch::web::WebResponse, handle, (const hatch::web::WebRequest&)));

}  // namespace hatch::web
