// The web server's Frontend bounds what a client can hold: idle, trickling and stalled clients
// are disconnected by its deadlines, which frees their connections and their body budget; bodies
// beyond the budget are refused before they are read; and a bad path gets a 4xx that, like the
// log, names no server directory.
//
// The deadlines here are short configuration values, not thresholds: every test waits for what
// it checks (a connection's end, an answer, descriptors given back), and the only clocks are
// guards that fail a broken server instead of hanging the test.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

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

using namespace std::chrono_literals;
using web::HttpClient;
using web::HttpReply;

// A client on a plain socket, for what HttpClient cannot do: send nothing, or a request in
// pieces, and watch the server end the connection.
class RawClient {
 public:
  explicit RawClient(const std::string& address) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    const std::size_t colon = address.rfind(':');
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
    ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &to.sin_addr);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      throw std::runtime_error("cannot connect to " + address);
    }
    // The guard: a read that waits this long fails the test instead of hanging it.
    timeval guard{};
    guard.tv_sec = 30;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof guard);
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Sends all of `bytes`; false when the server has closed the connection.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads up to the end of a response head ("\r\n\r\n"); empty when the connection ends first.
  std::string read_head() {
    std::string head;
    char c = 0;
    while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd_, &c, 1, 0) == 1) head += c;
    return head.find("\r\n\r\n") == std::string::npos ? "" : head;
  }

  // Reads, discarding what comes, until the server ends the connection (true: end of stream or
  // reset) or the guard runs out (false).
  bool closed_by_server() {
    char sink[4096];
    while (true) {
      const ssize_t n = ::recv(fd_, sink, sizeof sink, 0);
      if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
      if (n < 0) return false;
    }
  }

  // Like closed_by_server(), but waits at most `pause` for the server to end the connection: a
  // pause of the client's own, not a measure of the server.
  bool closed_within(std::chrono::milliseconds pause) {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(pause.count())) > 0 && closed_by_server();
  }

 private:
  const int fd_;
};

// The descriptors this process has open.
std::size_t open_descriptors() {
  return static_cast<std::size_t>(std::distance(
      std::filesystem::directory_iterator("/proc/self/fd"), std::filesystem::directory_iterator{}));
}

// An all-local origin over a fresh corpus; each test starts its own Frontend.
class WebServerLimits : public ClusterTest {
 protected:
  WebServerLimits()
      : origin_(Catalog::program(), corpus_.with_data_dir(options())),
        handler_(origin_.get<web::RequestHandler>("request_handler")),
        document_(web::list_corpus(corpus_.dir()).front()) {}

  static web::FrontendOptions frontend_options() {
    web::FrontendOptions fo;
    fo.listen = "127.0.0.1:0";
    return fo;
  }
  std::string put_head(std::size_t length, std::string_view extra = "") const {
    return "PUT " + document_ +
           " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(length) + "\r\n" +
           std::string(extra) + "\r\n";
  }

  TempCorpus corpus_;
  LogWatch log_;  // before the origin, which it must outlive
  Origin origin_;
  Ref<web::RequestHandler> handler_;
  const std::string document_;
};

TEST_F(WebServerLimits, IdleClientsAreDisconnectedAndFreeTheirConnections) {
  web::FrontendOptions fo = frontend_options();
  fo.max_connections = 4;
  fo.header_deadline = 200ms;
  web::Frontend frontend(handler_, fo);
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(std::make_unique<RawClient>(frontend.address()));
  for (std::size_t i = 0; i < idle.size(); ++i) {
    EXPECT_TRUE(idle[i]->closed_by_server()) << "idle client " << i << " still holds its slot";
  }
  HttpClient client(frontend.address());
  EXPECT_EQ(client.request("GET", document_).status, 200);
}

// Each connection holds a thread, its stack and three descriptors besides its socket until it is
// reaped. They were reaped only when the next client came, so a burst's last connections held
// theirs for as long as the server stayed quiet.
TEST_F(WebServerLimits, AFinishedConnectionGivesBackItsDescriptorsWithoutWaitingForAnother) {
  web::Frontend frontend(handler_, frontend_options());
  const std::size_t before = open_descriptors();
  for (int i = 0; i < 8; ++i) {
    RawClient client(frontend.address());
    ASSERT_TRUE(
        client.send("GET " + document_ + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"));
    EXPECT_EQ(client.read_head().rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
    EXPECT_TRUE(client.closed_by_server());
  }
  // The guard fails a server that never frees them, instead of hanging the test.
  EXPECT_TRUE(frontend.wait_idle(30s)) << "connections were never reaped";
  EXPECT_LE(open_descriptors(), before);
}

TEST_F(WebServerLimits, AHeaderSentAByteAtATimeIsCutOffByTheHeaderDeadline) {
  web::FrontendOptions fo = frontend_options();
  fo.header_deadline = 200ms;
  web::Frontend frontend(handler_, fo);
  RawClient trickle(frontend.address());
  // A header that never ends, within the header limit: only the deadline can stop it.
  const std::string head = "GET " + document_ + " HTTP/1.1\r\nX-Slow: " + std::string(1000, 'a');
  bool cut = false;
  std::size_t sent = 0;
  while (!cut && sent < head.size()) {
    cut = !trickle.send(head.substr(sent++, 1)) || trickle.closed_within(20ms);
  }
  EXPECT_TRUE(cut) << "the server took all " << sent << " bytes, one at a time";
}

TEST_F(WebServerLimits, AStalledUploadIsCutOffByTheBodyDeadlineAndGivesBackItsBudget) {
  constexpr std::size_t kBudget = 1 << 20;
  web::FrontendOptions fo = frontend_options();
  fo.body_deadline = 200ms;
  fo.max_body_bytes = kBudget;
  fo.max_inflight_body_bytes = kBudget;
  web::Frontend frontend(handler_, fo);

  // The server answers 100 Continue once it has reserved the body: the whole budget.
  RawClient stalled(frontend.address());
  ASSERT_TRUE(stalled.send(put_head(kBudget, "Expect: 100-continue\r\n")));
  ASSERT_EQ(stalled.read_head().rfind("HTTP/1.1 100 Continue\r\n", 0), 0u);

  const HttpReply refused = HttpClient(frontend.address()).request("PUT", document_, {}, "x");
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("in flight"), std::string::npos) << refused.body;

  // Half the body, then nothing.
  ASSERT_TRUE(stalled.send(std::string(kBudget / 2, 'a')));
  EXPECT_TRUE(stalled.closed_by_server());

  const HttpReply whole =
      HttpClient(frontend.address()).request("PUT", document_, {}, std::string(kBudget, 'b'));
  EXPECT_EQ(whole.status, 204) << "an upload that needs the whole budget, after the stall";
}

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
