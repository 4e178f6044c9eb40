// ToolCli::secret as rtc-turn uses it for --user NAME:PASS and --auth-secret: --print-config
// never prints the secret, and its output read back as --config carries no placeholder secret.
#include "app/cli.hpp"

#include "../app/test_support.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

using namespace rtc::app;

namespace {

struct SecretTool {
    ToolCli cli{"rtc-secret-example", "ToolCli::secret test tool"};
    std::vector<std::string> users;
    std::vector<std::string> secrets;
    std::string realm = "example.org";

    SecretTool() {
        cli.add_config();
        cli.secret(cli.app().add_option("--user", users, "NAME:PASS"), SecretForm::AfterColon);
        cli.secret(cli.app().add_option("--auth-secret", secrets, "REST secret"));
        cli.app().add_option("--realm", realm, "Realm");
    }

    std::string print(std::vector<std::string> args) {
        args.push_back("--print-config");
        std::ostringstream out, err;
        auto code = cli.parse(args, out, err);
        CHECK(code == kExitOk);
        CHECK(err.str().empty());
        return out.str();
    }
};

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("app::ToolCli::secret: --print-config redacts secrets, keeps user names") {
    SecretTool tool;
    auto out = tool.print({"--user", "alice:pass-one", "--user", "bob:pa:ss", "--auth-secret",
                           "s3cr3t", "--auth-secret", "older", "--realm", "r.example"});
    CHECK_FALSE(has(out, "pass-one"));
    CHECK_FALSE(has(out, "pa:ss"));
    CHECK_FALSE(has(out, "s3cr3t"));
    CHECK_FALSE(has(out, "older"));
    CHECK(has(out, "# user=[\"alice:<redacted>\", \"bob:<redacted>\"] (secret: not printed)\n"));
    CHECK(has(out, "# auth-secret=[\"<redacted>\", \"<redacted>\"] (secret: not printed)\n"));
    CHECK(has(out, "realm=\"r.example\"\n")); // other options print as before
}

TEST_CASE("app::ToolCli::secret: a user without a colon is redacted whole") {
    SecretTool tool;
    auto out = tool.print({"--user", "no-colon-secret"});
    CHECK_FALSE(has(out, "no-colon-secret"));
    CHECK(has(out, "# user=\"<redacted>\" (secret: not printed)\n"));
}

TEST_CASE("app::ToolCli::secret: the printed configuration read back has no secret in it") {
    SecretTool first;
    auto out = first.print({"--user", "alice:pass-one", "--auth-secret", "s3cr3t"});
    rtc::app::test::TempFile config(out, ".toml");
    SecretTool second;
    std::ostringstream sink, err;
    REQUIRE_FALSE(second.cli.parse({"--config", config.path()}, sink, err));
    CHECK(err.str().empty());
    CHECK(second.users.empty()); // commented out: neither the secret nor "<redacted>"
    CHECK(second.secrets.empty());
    CHECK(second.realm == "example.org");
}
