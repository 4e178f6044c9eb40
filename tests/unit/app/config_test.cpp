#include "app/cli.hpp"

#include "test_support.hpp"

#include <doctest/doctest.h>

using namespace rtc::app;
using rtc::app::test::ExampleTool;
using rtc::app::test::parse;
using rtc::app::test::TempFile;

TEST_CASE("config: any long flag can come from the file; the command line wins") {
    TempFile file("# comment\n"
                  "listen = [\"tcp://127.0.0.1:4000\", \"udp://[::1]:4001\"]\n"
                  "threads = 5\n"
                  "log-level = \"warn\"\n"
                  "realm = \"from-file.example\"\n"
                  "allow-loopback = true\n",
                  ".toml");
    ExampleTool tool;
    auto r = parse(tool, {"--config", file.path(), "--threads", "7"});
    REQUIRE_FALSE(r.code);
    const CommonOptions& o = tool.cli.options();
    REQUIRE(o.listen.size() == 2);
    CHECK(o.listen[0].to_string() == "tcp://127.0.0.1:4000");
    CHECK(o.listen[1].to_string() == "udp://[::1]:4001");
    CHECK(o.threads == 7); // command line
    CHECK(o.log_level == LogLevel::Warn);
    CHECK(tool.realm == "from-file.example");
    CHECK(tool.allow_loopback);
}

TEST_CASE("config: --print-config round trip gives the same configuration") {
    TempFile pem("pem");
    ExampleTool first;
    auto r1 = parse(first, {"--listen",
                            "127.0.0.1:4000",
                            "--listen",
                            "tls://*",
                            "--cert",
                            pem.path(),
                            "--key",
                            pem.path(),
                            "--external-ip",
                            "203.0.113.9",
                            "--port-range",
                            "1000-2000",
                            "--log-format",
                            "json",
                            "--metrics",
                            "[::1]:9100",
                            "--threads",
                            "3",
                            "--realm",
                            "with space \"quoted\"",
                            "--allow-loopback",
                            "--mode",
                            "slow",
                            "--print-config"});
    REQUIRE(r1.code == kExitOk);
    CHECK(r1.err.empty());
    CHECK(r1.out.find("listen=[\"udp://127.0.0.1:4000\", \"tls://*:5349\"]\n") !=
          std::string::npos);
    CHECK(r1.out.find("threads=3\n") != std::string::npos);
    CHECK(r1.out.find("print-config") == std::string::npos);
    CHECK(r1.out.find("generate") == std::string::npos);

    TempFile config(r1.out, ".toml");
    ExampleTool second;
    auto r2 = parse(second, {"--config", config.path(), "--print-config"});
    REQUIRE(r2.code == kExitOk);
    CHECK(r2.err.empty());
    CHECK(r2.out == r1.out);

    ExampleTool third;
    REQUIRE_FALSE(parse(third, {"--config", config.path()}).code);
    const CommonOptions& o = third.cli.options();
    REQUIRE(o.listen.size() == 2);
    CHECK(o.listen[0].to_string() == "udp://127.0.0.1:4000");
    CHECK(o.listen[1].to_string() == "tls://*:5349");
    CHECK(o.cert == pem.path());
    CHECK(o.key == pem.path());
    REQUIRE(o.external_ips.size() == 1);
    CHECK(o.port_range == PortRange{1000, 2000});
    CHECK(o.log_format == LogFormat::Json);
    CHECK(o.metrics->to_string() == "[::1]:9100");
    CHECK(o.threads == 3);
    CHECK(third.realm == "with space \"quoted\"");
    CHECK(third.allow_loopback);
    CHECK(third.mode == "slow");
}

TEST_CASE("config: the defaults print and read back too") {
    ExampleTool first;
    auto r1 = parse(first, {"--print-config"});
    REQUIRE(r1.code == kExitOk);
    CHECK(r1.out.find("listen=[\"udp://*:3478\", \"tcp://*:3478\"]\n") != std::string::npos);
    CHECK(r1.out.find("log-level=\"info\"\n") != std::string::npos);
    CHECK(r1.out.find("allow-loopback=false\n") != std::string::npos);
    CHECK(r1.out.find("metrics") == std::string::npos); // off: left out
    TempFile config(r1.out, ".toml");
    ExampleTool second;
    auto r2 = parse(second, {"--config", config.path(), "--print-config"});
    REQUIRE(r2.code == kExitOk);
    CHECK(r2.out == r1.out);
}

TEST_CASE("config: unreadable or malformed files are usage errors naming --config") {
    auto error_for = [](const std::vector<std::string>& args) {
        ExampleTool tool;
        auto r = parse(tool, args);
        CHECK(r.code == kExitUsage);
        CHECK(r.err.find('\n') == r.err.size() - 1);
        return r.err;
    };
    CHECK(error_for({"--config", "/nonexistent/rtc.toml"}) ==
          "rtc-example: --config: cannot read \"/nonexistent/rtc.toml\": No such file or "
          "directory (see rtc-example --help)\n");
    CHECK(error_for({"--config", "/tmp"})
              .find("--config: cannot read \"/tmp\": not a regular "
                    "file") != std::string::npos);

    TempFile unknown("threads = 2\nthreadz = 3\n");
    CHECK(error_for({"--config", unknown.path()}) ==
          "rtc-example: --config \"" + unknown.path() +
              "\": unknown key \"threadz\" (see rtc-example --help)\n");

    TempFile bad_value("threads = \"many\"\n");
    CHECK(error_for({"--config", bad_value.path()}) ==
          "rtc-example: --config \"" + bad_value.path() +
              "\": threads: value \"many\" is not a number (see rtc-example --help)\n");

    TempFile not_allowed("print-config = true\n");
    CHECK(error_for({"--config", not_allowed.path()}).find("\"print-config\" cannot be set") !=
          std::string::npos);

    TempFile section("[server]\nthreads = 2\n");
    CHECK(error_for({"--config", section.path()}).find("unknown section [server]") !=
          std::string::npos);

    TempFile garbage("\x01\x02\xff garbage line\n");
    std::string err = error_for({"--config", garbage.path()});
    CHECK(err.find("unknown key") != std::string::npos);
    CHECK(err.find('\x01') == std::string::npos);

    TempFile bad_listen("listen = \"bogus://x\"\n");
    CHECK(error_for({"--config", bad_listen.path()}).find("unknown scheme \"bogus\"") !=
          std::string::npos);
}

TEST_CASE("config: a default the option's check refuses is printed as a comment") {
    auto tool_with_sentinel = [](ExampleTool& tool, uint16_t& alt_port) {
        tool.cli.app()
            .add_option("--alt-port", alt_port, "Alternate port (default: primary + 1)")
            ->check(validate::number(1, 65535));
    };
    ExampleTool first;
    uint16_t alt_port = 0; // 0: automatic, not a value the user may write
    tool_with_sentinel(first, alt_port);
    auto r1 = parse(first, {"--print-config"});
    REQUIRE(r1.code == kExitOk);
    CHECK(r1.out.find("\n# alt-port=0 (built-in default)\n") != std::string::npos);

    TempFile config(r1.out, ".toml");
    ExampleTool second;
    uint16_t alt_port2 = 0;
    tool_with_sentinel(second, alt_port2);
    auto r2 = parse(second, {"--config", config.path(), "--print-config"});
    REQUIRE(r2.code == kExitOk);
    CHECK(r2.err.empty());
    CHECK(r2.out == r1.out);

    ExampleTool third;
    uint16_t alt_port3 = 0;
    tool_with_sentinel(third, alt_port3);
    auto r3 = parse(third, {"--alt-port", "4000", "--print-config"});
    CHECK(r3.out.find("\nalt-port=4000\n") != std::string::npos);
}
