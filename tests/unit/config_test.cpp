#include "hatch/app.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "hatch/context.hpp"
#include "rpc/cluster_secret.hpp"
#include "rpc/endpoint.hpp"

namespace hatch {
namespace {

struct Plain final : Context {
  explicit Plain(ConfigMap config) : Context("c", "origin", std::move(config)) {}
  std::shared_ptr<BindingCell> resolve(std::string_view) override { throw UsageError("none"); }
};

TEST(Context, ReturnsConfigValuesFallbacksAndTypeErrors) {
  Plain ctx({{"limit", std::int64_t{7}}, {"name", std::string("x")}, {"on", true}, {"ratio", 0.5}});
  EXPECT_EQ(ctx.config<std::int64_t>("limit", 1), 7);
  EXPECT_EQ(ctx.config<std::string>("name", "y"), "x");
  EXPECT_TRUE(ctx.config<bool>("on", false));
  EXPECT_EQ(ctx.config<double>("ratio", 0.0), 0.5);
  EXPECT_EQ(ctx.config<std::int64_t>("missing", 3), 3);
  try {
    ctx.config<std::int64_t>("name", 0);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'name' = \"x\" has the wrong type"), std::string::npos)
        << e.what();
  }
}

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = "/tmp/hatch-config-test-" + name;
  std::filesystem::remove(path);
  std::ofstream(path) << text;
  return path;
}

TEST(Flags, ParseHatchFlagsAndLeaveTheRest) {
  const std::string secret = write_file("secret", "0123456789abcdef0123\n");
  std::filesystem::permissions(secret, std::filesystem::perms::owner_read);
  const char* argv[] = {"app",
                        "--ops",
                        "5",
                        "--hatch-place",
                        "kv=127.0.0.1:9",
                        "--hatch-secret-file",
                        secret.c_str(),
                        "--hatch-call-timeout-ms",
                        "250",
                        "x",
                        "--hatch-place",
                        "cache=sharded{a:1,b:2}",
                        "serve"};
  ParsedFlags f = parse_flags(13, argv);
  EXPECT_EQ(f.options.placements.at("kv"), "127.0.0.1:9");
  EXPECT_EQ(f.options.placements.at("cache"), "sharded{a:1,b:2}");
  EXPECT_EQ(f.options.secret, "0123456789abcdef0123");
  EXPECT_EQ(f.options.call_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(f.rest, (std::vector<std::string>{"app", "--ops", "5", "x", "serve"}))
      << "a word after a placement belongs to the program";
  EXPECT_TRUE(f.node.listen.empty());
}

TEST(Flags, ASecretFileOthersMayReadIsRefused) {
  const std::string secret = write_file("open-secret", "0123456789abcdef0123\n");
  std::filesystem::permissions(secret, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  const char* argv[] = {"app", "--hatch-secret-file", secret.c_str()};
  try {
    parse_flags(3, argv);
    FAIL() << "a world-readable secret was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("may be read or written by others"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("chmod 600 " + secret), std::string::npos) << e.what();
  }
}

TEST(Flags, ASecretFileThatIsADirectoryIsRefusedAsSuch) {
  const std::string dir = std::filesystem::temp_directory_path().string();
  const char* argv[] = {"app", "--hatch-secret-file", dir.c_str()};
  try {
    parse_flags(3, argv);
    FAIL() << "a directory was accepted as the secret";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("the cluster secret file '" + dir +
                                         "' is not a regular file but a directory"),
              std::string::npos)
        << e.what();
  }
}

TEST(Flags, BadFlagsAreUsageErrors) {
  const char* place[] = {"app", "--hatch-place", "no-equals-sign"};
  EXPECT_THROW(parse_flags(3, place), UsageError);
  const char* timeout[] = {"app", "--hatch-call-timeout-ms", "-4"};
  EXPECT_THROW(parse_flags(3, timeout), UsageError);
  const char* missing[] = {"app", "--hatch-secret-file", "/nonexistent/secret"};
  EXPECT_THROW(parse_flags(3, missing), UsageError);
  const char* misspelt[] = {"app", "--hatch-plcae", "kv=local"};
  try {
    parse_flags(3, misspelt);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown Hatch flag '--hatch-plcae'"), std::string::npos)
        << e.what();
  }
}

TEST(Flags, HttpListenComesFromTheFlagOverTheFile) {
  const char* none[] = {"app"};
  EXPECT_EQ(parse_flags(1, none).options.http_listen, "");  // off by default
  const char* flag[] = {"app", "--hatch-http-listen", "127.0.0.1:9464"};
  EXPECT_EQ(parse_flags(3, flag).options.http_listen, "127.0.0.1:9464");
  const std::string path = write_file("metrics.toml", "http_listen = \"127.0.0.1:9465\"\n");
  const char* file[] = {"app", "--hatch-config", path.c_str()};
  EXPECT_EQ(parse_flags(3, file).options.http_listen, "127.0.0.1:9465");
  const char* both[] = {"app", "--hatch-config", path.c_str(), "--hatch-http-listen",
                        "127.0.0.1:9466"};
  EXPECT_EQ(parse_flags(5, both).options.http_listen, "127.0.0.1:9466");
  const std::string typed = write_file("metrics-typed.toml", "http_listen = 9464\n");
  Options options;
  AutopilotOptions learn;
  EXPECT_THROW(load_config_file(typed, options, learn), UsageError);
}

TEST(ConfigFile, ARelativeHttpTokenFileIsTakenFromTheConfigFilesFolder) {
  Options options;
  AutopilotOptions learn;
  static_cast<void>(
      load_config_text("http_token_file = \"token\"\n", "/etc/app/hatch.toml", options, learn));
  EXPECT_EQ(options.http_token_file, "/etc/app/token");
  static_cast<void>(load_config_text("http_token_file = \"/run/token\"\n", "/etc/app/hatch.toml",
                                     options, learn));
  EXPECT_EQ(options.http_token_file, "/run/token");
  const char* flag[] = {"app", "--hatch-http-token-file", "t"};
  EXPECT_EQ(parse_flags(3, flag).options.http_token_file, "t");
}

TEST(ConfigFile, EveryFileItNamesIsTakenFromItsFolderWhenRelative) {
  Options options;
  AutopilotOptions learn;
  const auto secret = load_config_text(
      "secret_file = \"keys/secret\"\ntls_cert = \"c.pem\"\ntls_key = \"/abs/k.pem\"\n"
      "tls_ca = \"../ca.pem\"\n",
      "/etc/app/hatch.toml", options, learn);
  EXPECT_EQ(secret, std::optional<std::string>("/etc/app/keys/secret"));
  EXPECT_EQ(options.tls.cert_file, "/etc/app/c.pem");
  EXPECT_EQ(options.tls.key_file, "/abs/k.pem");
  EXPECT_EQ(options.tls.ca_file, "/etc/app/../ca.pem");
}

TEST(ConfigFile, AValueOfTheWrongTypeNamesTheFileTheLineAndTheKey) {
  const auto refused = [](const std::string& text, const std::string& expected) {
    Options options;
    AutopilotOptions learn;
    try {
      static_cast<void>(load_config_text(text, "/etc/app/hatch.toml", options, learn));
      ADD_FAILURE() << "accepted: " << text;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  refused("secret_file = 5\n", "/etc/app/hatch.toml:1: secret_file must be a string");
  refused("io_threads = 4\n[components.kv]\nplacement = 7001\n",
          "/etc/app/hatch.toml:3: components.kv.placement must be a string");
  refused("tls_ca = true\n", "hatch.toml:1: tls_ca must be a string, the name of a file");
  refused("listen = 7000\n", "hatch.toml:1: listen must be a string, \"host:port\"");
  refused("[components.kv]\nconfig = 5\n", "hatch.toml:2: components.kv.config must be a table");
}

TEST(ConfigFile, ReadsPlacementsAndComponentConfig) {
  const std::string path = write_file("good.toml", R"(
call_timeout_ms = 1500
[components.kv]
placement = "127.0.0.1:7001"
[components.kv.config]
capacity = 64
name = "main"
)");
  Options options;
  AutopilotOptions learn;
  load_config_file(path, options, learn);
  EXPECT_EQ(options.call_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(options.placements.at("kv"), "127.0.0.1:7001");
  EXPECT_EQ(std::get<std::int64_t>(options.configs.at("kv").at("capacity")), 64);
  EXPECT_EQ(std::get<std::string>(options.configs.at("kv").at("name")), "main");
}

TEST(ConfigFile, ErrorsNameTheFileAndLine) {
  const std::string path = write_file("bad.toml", "a = 1\nb = = 2\n");
  Options options;
  AutopilotOptions learn;
  try {
    load_config_file(path, options, learn);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  const std::string arrays = write_file("array.toml", "[components.kv.config]\nlist = [1, 2]\n");
  EXPECT_THROW(load_config_file(arrays, options, learn), UsageError);
  const std::string typo = write_file("typo.toml", "call_timeout = 5\n");
  try {
    load_config_file(typo, options, learn);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown setting 'call_timeout'"), std::string::npos)
        << e.what();
  }
  const std::string typed = write_file("typed.toml", "call_timeout_ms = \"soon\"\n");
  EXPECT_THROW(load_config_file(typed, options, learn), UsageError);
  const std::string nested = write_file("nested.toml", "[components.kv]\nplacemnt = \"local\"\n");
  EXPECT_THROW(load_config_file(nested, options, learn), UsageError);
}

TEST(ConfigFile, TextReadsNoFileAndReturnsTheSecretFileItNames) {
  Options options;
  AutopilotOptions learn;
  const std::optional<std::string> secret = load_config_text(
      "secret_file = \"/no/such/secret\"\nio_threads = 3\n[learn]\nstate_file = \"s.json\"\n",
      "/etc/app/hatch.toml", options, learn);
  EXPECT_EQ(secret, "/no/such/secret");
  EXPECT_TRUE(options.secret.empty());
  EXPECT_EQ(options.io_threads, 3);
  EXPECT_EQ(learn.state_file, "/etc/app/s.json");
  EXPECT_EQ(load_config_text("", "empty.toml", options, learn), std::nullopt);
  try {
    (void)load_config_text("a = = 1\n", "inline.toml", options, learn);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'inline.toml' (line 1)"), std::string::npos) << e.what();
  }
}

TEST(ConfigFile, ReadsTheSecretFileItNames) {
  const std::string secret = write_file("config-secret", "a cluster secret of the config test\n");
  std::filesystem::permissions(
      secret, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string path = write_file("with-secret.toml", "secret_file = \"" + secret + "\"\n");
  Options options;
  AutopilotOptions learn;
  load_config_file(path, options, learn);
  EXPECT_EQ(options.secret, "a cluster secret of the config test");
  const std::string missing = write_file("missing-secret.toml", "secret_file = \"/no/such\"\n");
  EXPECT_THROW(load_config_file(missing, options, learn), UsageError);
}

TEST(ClusterSecret, RefusesShortSecrets) {
  EXPECT_THROW(rpc::ClusterSecret::from_bytes("short"), UsageError);
  EXPECT_NO_THROW(rpc::ClusterSecret::from_bytes(std::string(16, 'k')));
}

}  // namespace
}  // namespace hatch
