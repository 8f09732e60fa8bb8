// Discovery (runtime/discovery.hpp): static addresses, a node file read again when it changes,
// and every address a DNS name resolves to. A source that fails keeps what it listed last.
#include "runtime/discovery.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hatch/error.hpp"

namespace hatch::runtime {
namespace {

using Nodes = std::vector<std::string>;

// What the discovery reported last, and a wait for the next report.
class Reports {
 public:
  Discovery::Changed sink() {
    return [this](const Nodes& nodes) {
      std::lock_guard lock(mu_);
      last_ = nodes;
      ++count_;
      cv_.notify_all();
    };
  }
  // Waits for a report after the `seen`-th; false only if none comes within a minute (a hang).
  bool wait_past(int seen) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::minutes(1), [&] { return count_ > seen; });
  }
  int count() {
    std::lock_guard lock(mu_);
    return count_;
  }
  Nodes last() {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  Nodes last_;
  int count_ = 0;
};

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("hatch-discovery-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

// Writes through a temporary file and a rename, as an operator's tools do.
void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path + ".tmp") << text;
  std::filesystem::rename(path + ".tmp", path);
}

TEST(NodeFile, ParsesAddressesSkipsCommentsAndNamesBadLines) {
  std::vector<std::string> problems;
  const Nodes nodes = parse_node_file(
      "# the cluster\n10.0.0.1:7000\n\n  10.0.0.2:7000   # rack 2\r\nnot-an-address\n"
      "[::1]:7001\n10.0.0.3:0\n",
      "nodes.txt", problems);
  EXPECT_EQ(nodes, (Nodes{"10.0.0.1:7000", "10.0.0.2:7000", "[::1]:7001"}));
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("nodes.txt:5: 'not-an-address'"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("nodes.txt:7: '10.0.0.3:0' names port 0"), std::string::npos)
      << problems[1];
}

TEST(Discovery, RefusesAMalformedSourceByName) {
  for (const std::string bad :
       {"nowhere", "file:", "dns:name", "dns:name:0", "dns::7000", "10.0.0.1:99999"}) {
    try {
      Discovery d({bad}, std::chrono::milliseconds(100), nullptr);
      ADD_FAILURE() << bad << " was taken";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(bad.substr(0, 4)), std::string::npos) << e.what();
    }
  }
}

TEST(Discovery, StaticAddressesAreListedSortedOnce) {
  Discovery d({"10.0.0.2:7000", "10.0.0.1:7000", "10.0.0.2:7000"}, std::chrono::milliseconds(10),
              nullptr);
  EXPECT_EQ(d.nodes(), (Nodes{"10.0.0.1:7000", "10.0.0.2:7000"}));
}

TEST(Discovery, TwoSpellingsOfOneAddressAreOneNode) {
  Discovery d({"localhost:7000", "127.0.0.1:7000", "[0:0::1]:07000", "Node-A.Example:7000"},
              std::chrono::milliseconds(10), nullptr);
  EXPECT_EQ(d.nodes(), (Nodes{"127.0.0.1:7000", "[::1]:7000", "node-a.example:7000"}));
  std::vector<std::string> problems;
  EXPECT_EQ(parse_node_file("LOCALHOST:7001\n127.0.0.1:7001\n", "nodes.txt", problems),
            (Nodes{"127.0.0.1:7001", "127.0.0.1:7001"}));
  EXPECT_TRUE(problems.empty());
}

TEST(Discovery, AFileIsReadAgainWhenItChangesAndKeptWhileItIsGone) {
  const std::string path = temp_path("nodes.txt");
  write_file(path, "10.0.0.1:7000\n");
  Reports reports;
  Discovery d({"file:" + path, "10.0.0.9:7000"}, std::chrono::milliseconds(20), reports.sink());
  EXPECT_EQ(d.nodes(), (Nodes{"10.0.0.1:7000", "10.0.0.9:7000"}));

  write_file(path, "10.0.0.1:7000\n10.0.0.2:7000 # new\n");
  ASSERT_TRUE(reports.wait_past(0));
  EXPECT_EQ(reports.last(), (Nodes{"10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.9:7000"}));
  EXPECT_EQ(d.nodes(), reports.last());

  // Gone: what it listed stays. Back with other contents: they are read.
  std::filesystem::remove(path);
  write_file(path, "10.0.0.3:7000\n");
  ASSERT_TRUE(reports.wait_past(1));
  EXPECT_EQ(reports.last(), (Nodes{"10.0.0.3:7000", "10.0.0.9:7000"}));
  std::filesystem::remove(path);
}

TEST(Discovery, AFileTooLargeIsRefusedAndOneSourceListsAtMostTheBound) {
  const std::string big = temp_path("big.txt");
  write_file(big, "10.0.0.1:7000\n" + std::string(Discovery::kMaxFileBytes, '#'));
  EXPECT_TRUE(Discovery({"file:" + big}, std::chrono::milliseconds(1000), nullptr).nodes().empty());
  std::filesystem::remove(big);

  const std::string many = temp_path("many.txt");
  std::string text;
  for (std::size_t i = 0; i < Discovery::kMaxNodes + 10; ++i) {
    text += "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + ":7000\n";
  }
  write_file(many, text);
  EXPECT_EQ(Discovery({"file:" + many}, std::chrono::milliseconds(1000), nullptr).nodes().size(),
            Discovery::kMaxNodes);
  std::filesystem::remove(many);
}

TEST(Discovery, ADnsNameListsEveryAddressItResolvesTo) {
  // /etc/hosts names localhost 127.0.0.1 (and often ::1 too): every record is a node.
  Discovery d({"dns:localhost:7000"}, std::chrono::milliseconds(1000), nullptr);
  const Nodes nodes = d.nodes();
  EXPECT_NE(std::find(nodes.begin(), nodes.end(), "127.0.0.1:7000"), nodes.end())
      << testing::PrintToString(nodes);
  for (const std::string& node : nodes) {
    EXPECT_TRUE(node == "127.0.0.1:7000" || node == "[::1]:7000") << node;
  }
}

TEST(Discovery, ANameThatDoesNotResolveListsNothingAndDoesNotThrow) {
  Discovery d({"dns:no-such-host.invalid:7000"}, std::chrono::milliseconds(1000), nullptr);
  EXPECT_TRUE(d.nodes().empty());
}

}  // namespace
}  // namespace hatch::runtime
