// The web server's Frontend bounds what a client can reach: a bad path gets a 4xx that, like the
// log, names no server directory.
#include <string>

#include <gtest/gtest.h>

#include "cluster_test.hpp"
#include "corpus.hpp"
#include "frontend.hpp"
#include "hatch/hatch.hpp"
#include "http_client.hpp"
#include "log_watch.hpp"
#include "request_handler.hpp"
#include "temp_corpus.hpp"

namespace hatch::test {
namespace {

using web::HttpClient;
using web::HttpReply;

// An all-local origin over a fresh corpus; each test starts its own Frontend.
class WebServerLimits : public ClusterTest {
 protected:
  WebServerLimits()
      : origin_(Catalog::program(), local_options()),
        handler_(origin_.get<web::RequestHandler>("request_handler")),
        document_(web::list_corpus(corpus_.dir()).front()) {}

  Options local_options() {
    Options o = options();
    o.configs["content_store"]["data_dir"] = corpus_.dir().string();
    return o;
  }
  static web::FrontendOptions frontend_options() {
    web::FrontendOptions fo;
    fo.listen = "127.0.0.1:0";
    return fo;
  }

  TempCorpus corpus_;
  LogWatch log_;  // before the origin, which it must outlive
  Origin origin_;
  Ref<web::RequestHandler> handler_;
  const std::string document_;
};

TEST_F(WebServerLimits, APathSegmentOver255BytesGets400AndNoServerPathIsShown) {
  web::Frontend frontend(handler_, frontend_options());
  const std::string target = "/text/" + std::string(300, 'a') + ".txt";
  HttpClient client(frontend.address());
  testing::internal::CaptureStderr();
  const HttpReply get = client.request("GET", target);
  const HttpReply put = client.request("PUT", target, {}, "a body\n");
  const std::string stderr_text = testing::internal::GetCapturedStderr();

  const std::string dir = corpus_.dir().string();
  for (const HttpReply* r : {&get, &put}) {
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_NE(r->body.find("255 bytes"), std::string::npos) << r->body;
    EXPECT_EQ(r->body.find(dir), std::string::npos) << r->body;
  }
  EXPECT_EQ(stderr_text.find(dir), std::string::npos) << stderr_text;
  EXPECT_EQ(log_.count(dir), 0);
}

}  // namespace
}  // namespace hatch::test
