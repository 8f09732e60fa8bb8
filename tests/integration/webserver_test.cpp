// The web server answers the same bytes under every placement of every distributable component:
// correctness does not depend on the design (issue 6, done-when 2).
//
// What "the same" means here: for each request of a fixed set, the status, every header the
// server sends and the body bytes are equal to those of the all-local run. The server sends no
// header that varies between runs (no Date), so this is the whole response as a client parses it.
// Each placement gets a fresh origin, whose components start empty, and sends the set in the same
// order from one connection, so even /stats (whose counters grow with every request) must match
// byte for byte: the counters are state, and a placement must not lose, repeat or reorder them.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cache.hpp"
#include "cluster_test.hpp"
#include "compression.hpp"
#include "corpus.hpp"
#include "design/catalog_space.hpp"
#include "frontend.hpp"
#include "hatch/hatch.hpp"
#include "http_client.hpp"
#include "load_driver.hpp"
#include "node_process.hpp"
#include "request_handler.hpp"
#include "stats.hpp"
#include "temp_corpus.hpp"

namespace hatch::test {
namespace {

using web::HttpClient;
using web::HttpHeaders;
using web::HttpReply;

struct WebCall {
  std::string method;
  std::string target;
  HttpHeaders headers;
  std::string body;
  std::string describe() const { return method + " " + target; }
};

// Three text and three binary documents, each plain, gzip, zstd and as HEAD; a document
// replaced by PUT and read back; a missing document, a PUT to it, a bad path, a method the server
// does not serve, an oversized header; and /stats last.
std::vector<WebCall> request_set(const std::vector<std::string>& paths) {
  std::vector<std::string> chosen;
  for (bool text : {true, false}) {
    int count = 0;
    for (const std::string& p : paths) {
      if (web::is_text_path(p) == text && count++ < 3) chosen.push_back(p);
    }
  }
  std::vector<WebCall> calls;
  for (const std::string& p : chosen) {
    calls.push_back({"GET", p, {}, ""});
    calls.push_back({"GET", p, {{"Accept-Encoding", "gzip"}}, ""});
    calls.push_back({"GET", p, {{"Accept-Encoding", "zstd;q=0.9, gzip;q=0.5"}}, ""});
    calls.push_back({"HEAD", p, {{"Accept-Encoding", "gzip, zstd"}}, ""});
    calls.push_back({"GET", p, {{"Accept-Encoding", "zstd"}}, ""});
  }
  const std::string& replaced = chosen.front();
  calls.push_back({"PUT", replaced, {{"Content-Type", "text/plain"}}, "replaced by the test\n"});
  calls.push_back({"GET", replaced, {}, ""});
  calls.push_back({"GET", replaced, {{"Accept-Encoding", "gzip"}}, ""});
  calls.push_back({"GET", "/text/missing.txt", {}, ""});
  calls.push_back({"PUT", "/text/missing.txt", {}, "no such document\n"});
  calls.push_back({"GET", "/text/../secret", {}, ""});
  calls.push_back({"DELETE", replaced, {}, ""});
  calls.push_back({"GET", replaced, {{"X-Padding", std::string(16 * 1024, 'x')}}, ""});
  calls.push_back({"GET", "/stats", {}, ""});
  return calls;
}

std::vector<HttpReply> send_all(const std::string& address, const std::vector<WebCall>& calls) {
  HttpClient client(address);
  std::vector<HttpReply> replies;
  for (const WebCall& c : calls) {
    replies.push_back(client.request(c.method, c.target, c.headers, c.body));
  }
  return replies;
}

class WebServer : public ClusterTest {
 protected:
  // Runs the request set against a fresh origin whose components take `design`.
  std::vector<HttpReply> run(const Design& design, const std::vector<WebCall>& calls) {
    Origin origin(Catalog::program(), corpus_.with_data_dir(options()));
    Ref<web::RequestHandler> handler = origin.get<web::RequestHandler>("request_handler");
    for (const TransitionReport& r : origin.apply(design)) {
      EXPECT_TRUE(r.ok) << r.to_string();
    }
    web::FrontendOptions fo;
    fo.listen = "127.0.0.1:0";
    web::Frontend frontend(handler, fo);
    std::vector<HttpReply> replies = send_all(frontend.address(), calls);
    frontend.stop();
    return replies;
  }

  TempCorpus corpus_;
};

std::string describe(const Design& design) {
  std::string out;
  for (const auto& [name, p] : design) out += name + "=" + p.to_string() + " ";
  return out;
}

TEST_F(WebServer, AnswersTheSameBytesUnderEveryPlacementOfEveryComponent) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  NodeProcess c(secret_.path());
  const std::vector<WebCall> calls = request_set(web::list_corpus(corpus_.dir()));
  const std::vector<HttpReply> local = run({}, calls);

  // The all-local answers are right in themselves: bodies decode to the files, errors are 4xx.
  ASSERT_EQ(local.size(), calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const WebCall& call = calls[i];
    const HttpReply& r = local[i];
    SCOPED_TRACE(call.describe());
    if (call.target == "/stats" || call.method != "GET" || r.status != 200 ||
        i >= calls.size() - 9) {
      continue;
    }
    const std::string file = corpus_.file(call.target);
    const auto coding = r.headers.find("content-encoding");
    if (coding == r.headers.end()) {
      EXPECT_EQ(r.body, file);
    } else if (coding->second == "gzip") {
      EXPECT_EQ(web::gzip_decompress(r.body, 1 << 24), file);
    } else {
      ASSERT_EQ(coding->second, "zstd");
      EXPECT_EQ(web::zstd_decompress(r.body, 1 << 24), file);
    }
    EXPECT_EQ(r.headers.at("content-length"), std::to_string(r.body.size()));
    EXPECT_EQ(coding != r.headers.end(), web::is_text_path(call.target) && call.headers.size() == 1)
        << "text is compressed when the client accepts a coding, binary never";
  }
  const std::size_t tail = calls.size() - 9;
  EXPECT_EQ(local[tail].status, 204) << "PUT replaces an existing document";
  EXPECT_EQ(local[tail + 1].body, "replaced by the test\n");
  EXPECT_EQ(local[tail + 2].headers.at("content-encoding"), "gzip");
  EXPECT_EQ(local[tail + 3].status, 404);
  EXPECT_EQ(local[tail + 4].status, 404) << "PUT does not create documents";
  EXPECT_EQ(local[tail + 5].status, 400);
  EXPECT_EQ(local[tail + 6].status, 405);
  EXPECT_EQ(local[tail + 7].status, 431);
  EXPECT_EQ(local[tail + 8].status, 200);
  EXPECT_EQ(local[tail + 8].headers.at("content-type"), "application/json");
  EXPECT_NE(local[tail + 8].body.find("\"" + calls.front().target + "\""), std::string::npos);
  EXPECT_EQ(local[3].headers.at("content-length"), local[3 - 1].headers.at("content-length"))
      << "HEAD announces the length GET would send, without a body";
  EXPECT_TRUE(local[3].body.empty());

  const std::string ha = a.address(), hb = b.address(), hc = c.address();
  std::vector<Design> designs;
  for (const char* stateless : {"request_handler", "compressor"}) {
    designs.push_back({{stateless, Placement::on(ha)}});
    designs.push_back({{stateless, Placement::replicated({ha, hb})}});
  }
  for (const char* keyed : {"cache", "content_store", "stats"}) {
    designs.push_back({{keyed, Placement::on(hb)}});
    designs.push_back({{keyed, Placement::replicated({hb, hc})}});
    designs.push_back({{keyed, Placement::sharded({ha, hc})}});
  }
  // Everything at once, with calls between nodes and back to the origin.
  designs.push_back({{"request_handler", Placement::on(hc)},
                     {"compressor", Placement::replicated({ha, hb})},
                     {"cache", Placement::sharded({ha, hb, "local"})},
                     {"content_store", Placement::replicated({hb, hc})},
                     {"stats", Placement::sharded({ha, hc})}});
  for (const Design& design : designs) {
    SCOPED_TRACE(describe(design));
    const std::vector<HttpReply> replies = run(design, calls);
    ASSERT_EQ(replies.size(), local.size());
    for (std::size_t i = 0; i < calls.size(); ++i) {
      EXPECT_EQ(replies[i].status, local[i].status) << calls[i].describe();
      EXPECT_EQ(replies[i].headers, local[i].headers) << calls[i].describe();
      EXPECT_TRUE(replies[i].body == local[i].body) << calls[i].describe() << " body differs";
    }
  }
}

TEST_F(WebServer, EachHostsCacheKeepsToItsEmulatedBudget) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  Options o = corpus_.with_data_dir(options());
  constexpr std::int64_t kBudget = 64 * 1024;
  o.configs["cache"]["emulated_cache_bytes"] = std::int64_t{1} << 30;
  o.configs["cache"]["emulated_cache_bytes@" + a.address()] = kBudget;
  o.configs["cache"]["emulated_cache_bytes@" + b.address()] = kBudget;
  Origin origin(Catalog::program(), o);
  Ref<web::RequestHandler> handler = origin.get<web::RequestHandler>("request_handler");
  Ref<web::Cache> cache = origin.get<web::Cache>("cache");
  const std::vector<std::string> paths = web::list_corpus(corpus_.dir());
  std::uint64_t total = 0;
  for (const std::string& p : paths) {
    const web::WebResponse r = handler->handle({"GET", p, "", ""});
    ASSERT_EQ(r.status, 200) << p;
    total += p.size() + std::string("identity").size() + r.body.size();
  }
  ASSERT_GT(total, 2u * kBudget) << "the corpus must overflow both budgets";
  EXPECT_EQ(cache->bytes_used(), total) << "the origin's budget holds everything";
  for (const TransitionReport& r :
       origin.apply({{"cache", Placement::sharded({a.address(), b.address()})}})) {
    EXPECT_TRUE(r.ok) << r.to_string();
  }
  EXPECT_LE(cache->bytes_used(), 2u * kBudget) << "each shard evicted down to its host's budget";
  EXPECT_GT(cache->bytes_used(), 0u);
  for (const std::string& p : paths) {
    const web::WebResponse r = handler->handle({"GET", p, "", ""});
    EXPECT_EQ(r.body, corpus_.file(p)) << p << ": an evicted entry is read from the store again";
  }
  EXPECT_LE(cache->bytes_used(), 2u * kBudget);
}

TEST_F(WebServer, ClientsGetTheSameAnswersWhileEveryComponentMoves) {
  NodeProcess a(secret_.path());
  NodeProcess b(secret_.path());
  Options o = corpus_.with_data_dir(options());
  Origin origin(Catalog::program(), o);
  Ref<web::RequestHandler> handler = origin.get<web::RequestHandler>("request_handler");
  web::FrontendOptions fo;
  fo.listen = "127.0.0.1:0";
  web::Frontend frontend(handler, fo);
  // Reads only (no PUT, no /stats), so every answer is fixed: the first one is the reference.
  std::vector<WebCall> reads;
  for (const WebCall& c : request_set(web::list_corpus(corpus_.dir()))) {
    if (c.method == "GET" && c.target != "/stats" && c.headers.size() <= 1) reads.push_back(c);
  }
  const std::vector<HttpReply> expected = send_all(frontend.address(), reads);
  const std::string ha = a.address(), hb = b.address();
  const std::vector<Design> designs = {
      {{"cache", Placement::sharded({ha, hb})}, {"compressor", Placement::replicated({ha, hb})}},
      {{"request_handler", Placement::on(ha)}, {"content_store", Placement::replicated({ha, hb})}},
      {{"stats", Placement::sharded({hb, "local"})}, {"cache", Placement::on(hb)}},
      {{"request_handler", Placement::replicated({hb, "local"})},
       {"content_store", Placement::sharded({ha, hb})}},
      {{"cache", Placement::local()},
       {"compressor", Placement::local()},
       {"content_store", Placement::local()},
       {"request_handler", Placement::local()},
       {"stats", Placement::local()}}};
  std::atomic<bool> moving{true};
  std::atomic<int> wrong{0}, answered{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      HttpClient client(frontend.address());
      // At least one full pass, and on until the last move is done.
      for (std::size_t i = static_cast<std::size_t>(t), n = 0; moving.load() || n < reads.size();
           i = (i + 1) % reads.size(), ++n) {
        const WebCall& c = reads[i];
        try {
          if (!(client.request(c.method, c.target, c.headers, c.body) == expected[i])) ++wrong;
        } catch (const std::exception&) {
          ++wrong;
        }
        ++answered;
      }
    });
  }
  for (const Design& design : designs) {
    for (const TransitionReport& r : origin.apply(design)) EXPECT_TRUE(r.ok) << r.to_string();
  }
  moving.store(false);
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(wrong.load(), 0) << "of " << answered.load() << " answers";
  frontend.stop();
}

std::uint64_t uploads(Ref<web::Stats>& stats) {
  std::uint64_t n = 0;
  for (const auto& [path, s] : stats->all()) n += s.uploads;
  return n;
}

// Waits until the driver's clients have had `answers` answers, and expects them all 2xx.
void expect_answers_without_errors(web::LoadDriver& driver, std::uint64_t answers) {
  driver.wait_until([&](const web::LoadTotals& t) { return t.answers >= answers; });
  const web::LoadWindow w = driver.take();
  EXPECT_GE(w.requests + w.errors, answers);
  EXPECT_EQ(w.errors, 0u) << "with " << w.requests << " answers";
}

// An all-local server for the LoadDriver tests, and its stats component.
class WebServerUnderLoad : public WebServer {
 protected:
  WebServerUnderLoad()
      : origin_(Catalog::program(), corpus_.with_data_dir(options())),
        stats_(origin_.get<web::Stats>("stats")),
        frontend_(origin_.get<web::RequestHandler>("request_handler"), frontend_options()),
        paths_(web::list_corpus(corpus_.dir())) {}

  static web::FrontendOptions frontend_options() {
    web::FrontendOptions fo;
    fo.listen = "127.0.0.1:0";
    return fo;
  }

  Origin origin_;
  Ref<web::Stats> stats_;
  web::Frontend frontend_;  // stops before the origin goes
  std::vector<std::string> paths_;
};

TEST_F(WebServerUnderLoad, LoadDriverRunsUntilStoppedAndSwitchesToAWriteOnlyMix) {
  web::LoadDriver driver(frontend_.address(), paths_,
                         web::LoadPhase::parse("connections=3,hot=4,writes=0"), 7);
  expect_answers_without_errors(driver, 50);
  EXPECT_EQ(uploads(stats_), 0u) << "a read-only mix uploads nothing";

  const std::uint64_t before = uploads(stats_);
  driver.set_phase(web::LoadPhase::parse("writes=1"));
  // An acknowledged upload was counted by the server before it answered.
  driver.wait_until([](const web::LoadTotals& t) { return t.writes >= 20; });
  EXPECT_GE(uploads(stats_), before + 20);

  driver.stop();
  const std::uint64_t stopped = uploads(stats_);
  EXPECT_EQ(driver.take().errors, 0u) << "PUT answers 204";
  driver.stop();
  EXPECT_EQ(driver.take().requests, 0u) << "no client runs after stop()";
  EXPECT_EQ(uploads(stats_), stopped);
}

TEST_F(WebServerUnderLoad, LoadDriverRestartsTheOpenLoopScheduleAtEachPhase) {
  web::LoadDriver driver(frontend_.address(), paths_,
                         web::LoadPhase::parse("connections=2,rate=500,writes=0"), 3);
  expect_answers_without_errors(driver, 20);

  // One write every 1000 s: the new schedule's first slot is due at once, the next ones long
  // after the test, so exactly one upload comes, and stop() must wake the waiting clients.
  const std::uint64_t before = uploads(stats_);
  driver.set_phase(web::LoadPhase::parse("rate=0.001,writes=1"));
  driver.wait_until([](const web::LoadTotals& t) { return t.writes >= 1; });
  driver.stop();
  EXPECT_EQ(uploads(stats_), before + 1);
  EXPECT_EQ(driver.take().errors, 0u);
}

// The autopilot's space for the web server, from the catalog alone: each of the five movable
// components has 31 placements over the origin and four nodes (local, on each node, and the 26
// sets of two or more hosts, sharded for the keyed ones and replicated for the others).
TEST(WebDesignSpace, TheCatalogGivesTheWebServer28629151Designs) {
  const DesignSpace space = catalog_space(
      Catalog::program(), {"request_handler", "cache", "compressor", "content_store", "stats"},
      {"127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003", "127.0.0.1:7004"});
  EXPECT_EQ(space.size(), "28629151");
  EXPECT_EQ(space.option_kind(1, space.option_count(1) - 1), Placement::Kind::sharded);  // cache
  EXPECT_EQ(space.option_kind(2, space.option_count(2) - 1),
            Placement::Kind::replicated);  // compressor
}

TEST(WebLoadDriver, RefusesAnEmptyListOfDocuments) {
  EXPECT_THROW(web::LoadDriver("127.0.0.1:1", {}, web::LoadPhase{}, 1), std::invalid_argument);
}

}  // namespace
}  // namespace hatch::test
