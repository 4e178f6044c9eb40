#include "app/cli.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

#include <thread>

using namespace rtc::app;
using rtc::app::test::ExampleTool;
using rtc::app::test::parse;
using rtc::app::test::TempFile;

namespace {

// A usage error: exit 2, exactly one line on stderr, nothing on stdout.
std::string usage_error(const std::vector<std::string>& args) {
    ExampleTool tool;
    auto r = parse(tool, args);
    CHECK(r.code == kExitUsage);
    CHECK(r.out.empty());
    REQUIRE(!r.err.empty());
    CHECK(r.err.back() == '\n');
    CHECK(r.err.find('\n') == r.err.size() - 1);
    return r.err.substr(0, r.err.size() - 1);
}

} // namespace

TEST_CASE("cli: no flags gives the tool's defaults") {
    ExampleTool tool;
    auto r = parse(tool, {});
    CHECK_FALSE(r.code);
    CHECK(r.out.empty());
    CHECK(r.err.empty());
    const CommonOptions& o = tool.cli.options();
    REQUIRE(o.listen.size() == 2);
    CHECK(o.listen[0].to_string() == "udp://*:3478");
    CHECK(o.listen[1].to_string() == "tcp://*:3478");
    CHECK(o.cert.empty());
    CHECK(o.external_ips.empty());
    REQUIRE(o.port_range);
    CHECK(o.port_range->to_string() == "49152-65535");
    CHECK(o.log_level == LogLevel::Info);
    CHECK(o.log_format == LogFormat::Text);
    CHECK_FALSE(o.metrics);
    unsigned cores = std::thread::hardware_concurrency();
    CHECK(o.threads == (cores == 0 ? 1 : cores));
    CHECK(tool.realm == "example.org");
}

TEST_CASE("cli: shared flags are parsed into CommonOptions") {
    ExampleTool tool;
    auto r = parse(tool, {"--listen",
                          "127.0.0.1:4000",
                          "--listen=tls://[::]:5350",
                          "--cert",
                          "auto",
                          "--external-ip",
                          "203.0.113.7/10.0.0.7",
                          "--port-range",
                          "40000-40100",
                          "--log-level",
                          "debug",
                          "--log-format",
                          "json",
                          "--metrics",
                          "127.0.0.1:9100",
                          "--threads",
                          "3",
                          "--realm",
                          "r.example",
                          "--allow-loopback",
                          "--mode",
                          "slow"});
    REQUIRE_FALSE(r.code);
    CHECK(r.err.empty());
    const CommonOptions& o = tool.cli.options();
    REQUIRE(o.listen.size() == 2);
    CHECK(o.listen[0].to_string() == "udp://127.0.0.1:4000");
    CHECK(o.listen[1].to_string() == "tls://[::]:5350");
    CHECK(o.cert_auto());
    REQUIRE(o.external_ips.size() == 1);
    CHECK(o.external_ips[0].to_string() == "203.0.113.7/10.0.0.7");
    CHECK(o.port_range == PortRange{40000, 40100});
    CHECK(o.log_level == LogLevel::Debug);
    CHECK(o.log_format == LogFormat::Json);
    REQUIRE(o.metrics);
    CHECK(o.metrics->to_string() == "127.0.0.1:9100");
    CHECK(o.threads == 3);
    CHECK(tool.realm == "r.example");
    CHECK(tool.allow_loopback);
    CHECK(tool.mode == "slow");
}

TEST_CASE("cli: bad values exit 2 with one line naming the flag") {
    CHECK(usage_error({"--threads", "x"}) ==
          "rtc-example: --threads: value \"x\" is not a number (see rtc-example --help)");
    CHECK(usage_error({"--threads", "0"}) ==
          "rtc-example: --threads: value \"0\" is out of range (1-1024) (see rtc-example --help)");
    CHECK(usage_error({"--threads"}) ==
          "rtc-example: --threads: missing value (see rtc-example --help)");
    CHECK(usage_error({"--listen", "bogus://x"}) ==
          "rtc-example: --listen: \"bogus://x\": unknown scheme \"bogus\", expected udp, tcp, "
          "tls or dtls (see rtc-example --help)");
    CHECK(usage_error({"--listen", "udp://1.2.3.4:99999"}) ==
          "rtc-example: --listen: \"udp://1.2.3.4:99999\": port \"99999\" is out of range "
          "(0-65535) (see rtc-example --help)");
    CHECK(usage_error({"--log-level", "loud"}) ==
          "rtc-example: --log-level: value \"loud\" is not one of trace, debug, info, warn, "
          "error or off (see rtc-example --help)");
    CHECK(usage_error({"--mode", "medium"}) ==
          "rtc-example: --mode: value \"medium\" is not one of fast or slow (see rtc-example "
          "--help)");
    CHECK(usage_error({"--metrics", "9100"}).find("--metrics: value \"9100\" is not HOST:PORT") !=
          std::string::npos);
    CHECK(usage_error({"--port-range", "9-1"}).find("--port-range: ") != std::string::npos);
    CHECK(usage_error({"--external-ip", "me"}).find("--external-ip: ") != std::string::npos);
}

TEST_CASE("cli: unknown flags and stray arguments exit 2") {
    CHECK(usage_error({"--frobnicate"}) ==
          "rtc-example: --frobnicate: unknown option (see rtc-example --help)");
    CHECK(usage_error({"--frobnicate=3"}) ==
          "rtc-example: --frobnicate: unknown option (see rtc-example --help)");
    CHECK(usage_error({"stray"}) ==
          "rtc-example: \"stray\": unexpected argument (see rtc-example --help)");
    CHECK(usage_error({"--listen", "udp://*:1", "udp://*:2"}) ==
          "rtc-example: \"udp://*:2\": unexpected argument (see rtc-example --help)");
}

TEST_CASE("cli: TLS listeners need a certificate, and the key goes with it") {
    CHECK(usage_error({"--listen", "tls://*"}) ==
          "rtc-example: --listen: tls://*:5349 needs a certificate (give --cert FILE --key "
          "FILE, or --cert auto for testing)");
    TempFile pem("not really a certificate");
    CHECK(usage_error({"--cert", pem.path()}).find("--cert: needs --key FILE") !=
          std::string::npos);
    CHECK(usage_error({"--key", pem.path()}).find("--key: needs --cert FILE") != std::string::npos);
    CHECK(usage_error({"--cert", "auto", "--key", pem.path()})
              .find("--key: not used with --cert auto") != std::string::npos);
    CHECK(usage_error({"--cert", "/nonexistent/cert.pem"}) ==
          "rtc-example: --cert: cannot read \"/nonexistent/cert.pem\": No such file or directory "
          "(see rtc-example --help)");
    ExampleTool tool;
    auto r = parse(tool, {"--listen", "dtls://*", "--cert", pem.path(), "--key", pem.path()});
    CHECK_FALSE(r.code);
    CHECK(tool.cli.options().cert == pem.path());
}

TEST_CASE("cli: duplicate listeners and external IPs are refused") {
    CHECK(usage_error({"--listen", "udp://*:1", "--listen", "*:1"})
              .find("--listen: udp://*:1 is given twice") != std::string::npos);
    CHECK(usage_error({"--external-ip", "1.2.3.4", "--external-ip", "5.6.7.8"})
              .find("--external-ip: two addresses for IPv4") != std::string::npos);
    ExampleTool tool;
    CHECK_FALSE(parse(tool, {"--external-ip", "1.2.3.4", "--external-ip", "2001:db8::1"}).code);
    CHECK(tool.cli.options().external_ips.size() == 2);
}

TEST_CASE("cli: tool checks run after parsing and report ConfigError as usage errors") {
    ExampleTool tool;
    tool.cli.add_check([&](const CommonOptions& o) {
        if (o.threads > 2 && tool.mode == "slow")
            throw ConfigError("--mode: slow needs --threads 2 or fewer", "lower --threads");
    });
    auto r = parse(tool, {"--mode", "slow", "--threads", "4"});
    CHECK(r.code == kExitUsage);
    CHECK(r.err == "rtc-example: --mode: slow needs --threads 2 or fewer (lower --threads)\n");
    ExampleTool ok;
    ok.cli.add_check([](const CommonOptions&) {});
    CHECK_FALSE(parse(ok, {"--threads", "4"}).code);
}

TEST_CASE("cli: --help, --version and --generate print to stdout and exit 0") {
    {
        ExampleTool tool;
        auto r = parse(tool, {"--help"});
        CHECK(r.code == kExitOk);
        CHECK(r.err.empty());
        CHECK(r.out.find("Usage: rtc-example") != std::string::npos);
        CHECK(r.out.find("--listen") != std::string::npos);
    }
    for (const char* flag : {"-V", "--version"}) {
        ExampleTool tool;
        auto r = parse(tool, {flag});
        CHECK(r.code == kExitOk);
        CHECK(r.out == "rtc-example " + std::string(toolkit_version()) + "\n");
    }
    std::string v(toolkit_version());
    CHECK(std::count(v.begin(), v.end(), '.') == 2);
    ExampleTool tool;
    auto r = parse(tool, {"--generate", "complete-bash"});
    CHECK(r.code == kExitOk);
    CHECK(r.out == tool.cli.completion(Shell::Bash));
    CHECK(r.out.find("complete -F _rtc_example rtc-example") != std::string::npos);
}

TEST_CASE("cli: --generate works even when a required option is missing") {
    ExampleTool tool;
    std::string user;
    tool.cli.app().add_option("--user", user, "User name")->required();
    CHECK(parse(tool, {}).code == kExitUsage);
    ExampleTool tool2;
    tool2.cli.app().add_option("--user", user, "User name")->required();
    auto r = parse(tool2, {"--generate", "complete-fish"});
    CHECK(r.code == kExitOk);
    CHECK(r.out.find("-l user") != std::string::npos);
}

TEST_CASE("cli: a ListenSpec that cannot work is a programming error") {
    ToolCli cli("rtc-bad", "Bad spec");
    CHECK_THROWS_AS(
        cli.add_listen(
            {.default_scheme = Scheme::Tcp, .schemes = {{Scheme::Udp, 1}}, .defaults = {}}),
        std::invalid_argument);
    ToolCli cli2("rtc-bad", "Bad default");
    CHECK_THROWS_AS(cli2.add_listen({.default_scheme = Scheme::Udp,
                                     .schemes = {{Scheme::Udp, 1}},
                                     .defaults = {"tcp://*:1"}}),
                    std::invalid_argument);
}
