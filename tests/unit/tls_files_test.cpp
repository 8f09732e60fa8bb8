// Mutual TLS's configuration: the flags and TOML keys that name the files, and the clear error
// each wrong set or file gets before anything starts.
#include "rpc/tls_network.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "hatch/app.hpp"
#include "hatch/error.hpp"
#include "temp_certs.hpp"

namespace hatch {
namespace {

class TlsFilesTest : public ::testing::Test {
 protected:
  // Why check_tls_files() refuses `files`, or "" when it accepts them.
  static std::string refusal(const TlsFiles& files) {
    try {
      rpc::check_tls_files(files);
      return "";
    } catch (const UsageError& e) {
      return e.what();
    }
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = certs_.dir() + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  test::TempCerts certs_{{"a", "b"}};
};

TEST_F(TlsFilesTest, FlagsNameTheFilesAndAreCheckedAtOnce) {
  const TlsFiles a = certs_.files("a");
  const char* argv[] = {"app",
                        "--hatch-tls-cert",
                        a.cert_file.c_str(),
                        "--hatch-tls-key",
                        a.key_file.c_str(),
                        "--hatch-tls-ca",
                        a.ca_file.c_str(),
                        "serve"};
  ParsedFlags f = parse_flags(8, argv);
  EXPECT_EQ(f.options.tls.cert_file, a.cert_file);
  EXPECT_EQ(f.options.tls.key_file, a.key_file);
  EXPECT_EQ(f.options.tls.ca_file, a.ca_file);
  EXPECT_EQ(f.rest, (std::vector<std::string>{"app", "serve"}));
  const char* none[] = {"app"};
  EXPECT_FALSE(parse_flags(1, none).options.tls.enabled()) << "TLS is off by default";
}

TEST_F(TlsFilesTest, APartialSetNamesWhatIsMissing) {
  const std::string cert = certs_.files("a").cert_file;
  const char* argv[] = {"app", "--hatch-tls-cert", cert.c_str()};
  try {
    parse_flags(3, argv);
    FAIL() << "a certificate without its key and CA was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("missing: key (--hatch-tls-key), CA (--hatch-tls-ca)"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(TlsFilesTest, TomlKeysNameTheFilesAndFlagsWin) {
  const TlsFiles a = certs_.files("a");
  const TlsFiles b = certs_.files("b");
  const std::string config =
      write("tls.toml", "tls_cert = \"" + a.cert_file + "\"\ntls_key = \"" + a.key_file +
                            "\"\ntls_ca = \"" + a.ca_file + "\"\n");
  const char* argv[] = {"app",
                        "--hatch-config",
                        config.c_str(),
                        "--hatch-tls-cert",
                        b.cert_file.c_str(),
                        "--hatch-tls-key",
                        b.key_file.c_str()};
  ParsedFlags f = parse_flags(7, argv);
  EXPECT_EQ(f.options.tls.cert_file, b.cert_file);
  EXPECT_EQ(f.options.tls.key_file, b.key_file);
  EXPECT_EQ(f.options.tls.ca_file, a.ca_file);

  Options options;
  AutopilotOptions learn;
  const std::string number = write("number.toml", "tls_ca = 5\n");
  try {
    load_config_file(number, options, learn);
    FAIL() << "a number was taken for a file name";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("tls_ca must be a string"), std::string::npos) << e.what();
  }
  const std::string typo = write("typo.toml", "tls_certificate = \"x\"\n");
  try {
    load_config_file(typo, options, learn);
    FAIL() << "a misspelt key was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("known: secret_file, tls_cert, tls_key, tls_ca"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(TlsFilesTest, AMissingFileIsNamedWithWhy) {
  TlsFiles files = certs_.files("a");
  files.key_file = certs_.dir() + "/nowhere.key";
  EXPECT_EQ(refusal(files),
            "cannot read the TLS key file '" + files.key_file + "': No such file or directory");
}

TEST_F(TlsFilesTest, AKeyOthersMayReadIsRefusedWithTheChmodThatFixesIt) {
  const TlsFiles files = certs_.files("a");
  std::filesystem::permissions(files.key_file, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  const std::string why = refusal(files);
  EXPECT_NE(why.find("the TLS key file '" + files.key_file + "' may be read or written by others"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("chmod 600 " + files.key_file), std::string::npos) << why;
}

TEST_F(TlsFilesTest, FilesThatDoNotGoTogetherAreRefused) {
  TlsFiles mixed = certs_.files("a");
  mixed.key_file = certs_.files("b").key_file;
  EXPECT_NE(refusal(mixed).find("is not the key of the certificate in '" + mixed.cert_file),
            std::string::npos)
      << refusal(mixed);

  test::TempCerts other({"a"});
  TlsFiles foreign = other.files("a");
  foreign.ca_file = certs_.files("a").ca_file;
  EXPECT_NE(refusal(foreign).find("does not verify against the CA in '" + foreign.ca_file +
                                  "': unable to get local issuer certificate"),
            std::string::npos)
      << refusal(foreign);
}

TEST_F(TlsFilesTest, FilesThatAreNotPemAreRefused) {
  TlsFiles files = certs_.files("a");
  files.cert_file = write("junk.crt", "not a certificate\n");
  EXPECT_NE(refusal(files).find("the TLS certificate file '" + files.cert_file +
                                "' holds no PEM certificate"),
            std::string::npos)
      << refusal(files);
  files = certs_.files("a");
  files.ca_file = write("junk-ca.crt", "");
  EXPECT_NE(refusal(files).find("the TLS CA file '" + files.ca_file + "' holds no PEM certificate"),
            std::string::npos)
      << refusal(files);
}

TEST_F(TlsFilesTest, EveryMemberFileSetIsAccepted) {
  EXPECT_EQ(refusal(certs_.files("a")), "");
  EXPECT_EQ(refusal(certs_.files("b")), "");
}

}  // namespace
}  // namespace hatch
