#include "app/listen_url.hpp"

#include <doctest/doctest.h>

using rtc::app::ListenSpec;
using rtc::app::ListenUrl;
using rtc::app::parse_listen_url;
using rtc::app::Scheme;
using rtc::util::IpAddress;

namespace {

ListenSpec stun_spec() {
    return {.default_scheme = Scheme::Udp,
            .schemes = {{Scheme::Udp, 3478}, {Scheme::Tcp, 3478}, {Scheme::Tls, 5349}},
            .defaults = {"udp://*:3478"}};
}

std::string error_of(std::string_view text) {
    std::string error;
    CHECK_FALSE(parse_listen_url(text, stun_spec(), &error));
    return error;
}

} // namespace

TEST_CASE("listen_url: wildcard host binds IPv4 and IPv6 any") {
    auto url = parse_listen_url("udp://*:3478", stun_spec());
    REQUIRE(url);
    CHECK(url->scheme == Scheme::Udp);
    CHECK(url->is_wildcard());
    CHECK(url->port == 3478);
    CHECK(url->to_string() == "udp://*:3478");
    auto endpoints = url->endpoints();
    REQUIRE(endpoints.size() == 2);
    CHECK(endpoints[0].to_string() == "0.0.0.0:3478");
    CHECK(endpoints[1].to_string() == "[::]:3478");
}

TEST_CASE("listen_url: bracketed IPv6 and port 0") {
    auto url = parse_listen_url("tcp://[::1]:0", stun_spec());
    REQUIRE(url);
    CHECK(url->scheme == Scheme::Tcp);
    REQUIRE(url->host);
    CHECK(*url->host == IpAddress::loopback(rtc::util::Family::V6));
    CHECK(url->port == 0);
    CHECK(url->to_string() == "tcp://[::1]:0");
    REQUIRE(url->endpoints().size() == 1);
    CHECK(url->endpoints()[0].to_string() == "[::1]:0");
}

TEST_CASE("listen_url: bare HOST:PORT takes the default scheme") {
    auto url = parse_listen_url("127.0.0.1:3478", stun_spec());
    REQUIRE(url);
    CHECK(url->scheme == Scheme::Udp);
    CHECK(url->to_string() == "udp://127.0.0.1:3478");
    auto tcp = parse_listen_url(
        "127.0.0.1:3478",
        {.default_scheme = Scheme::Tcp, .schemes = {{Scheme::Tcp, 80}}, .defaults = {}});
    REQUIRE(tcp);
    CHECK(tcp->scheme == Scheme::Tcp);
}

TEST_CASE("listen_url: missing port takes the scheme's default port") {
    CHECK(parse_listen_url("tls://*", stun_spec())->port == 5349);
    CHECK(parse_listen_url("udp://192.0.2.1", stun_spec())->port == 3478);
    CHECK(parse_listen_url("[2001:db8::1]", stun_spec())->to_string() ==
          "udp://[2001:db8::1]:3478");
    CHECK(parse_listen_url("*", stun_spec())->to_string() == "udp://*:3478");
}

TEST_CASE("listen_url: schemes are case-insensitive (RFC 3986 section 3.1)") {
    auto url = parse_listen_url("TCP://*:1", stun_spec());
    REQUIRE(url);
    CHECK(url->scheme == Scheme::Tcp);
}

TEST_CASE("listen_url: unknown scheme") {
    CHECK(error_of("bogus://x") == "\"bogus://x\": unknown scheme \"bogus\", expected udp, tcp "
                                   "or tls");
}

TEST_CASE("listen_url: port out of range") {
    CHECK(error_of("udp://1.2.3.4:99999") ==
          "\"udp://1.2.3.4:99999\": port \"99999\" is out of range (0-65535)");
    CHECK(error_of("udp://1.2.3.4:65536").find("out of range") != std::string::npos);
    CHECK(parse_listen_url("udp://1.2.3.4:65535", stun_spec())->port == 65535);
}

TEST_CASE("listen_url: scheme the tool does not serve") {
    CHECK(error_of("https://*:443") ==
          "\"https://*:443\": this tool does not serve https, expected udp, tcp or tls");
}

TEST_CASE("listen_url: malformed hosts and ports") {
    CHECK(error_of("udp://::1:3478").find("needs brackets") != std::string::npos);
    CHECK(error_of("udp://[::1:3478").find("missing \"]\"") != std::string::npos);
    CHECK(error_of("udp://[1.2.3.4]:1").find("not an IPv6 address") != std::string::npos);
    CHECK(error_of("udp://localhost:1").find("not an IP address") != std::string::npos);
    CHECK(error_of("udp://:1").find("missing host") != std::string::npos);
    CHECK(error_of("udp://*:").find("missing port") != std::string::npos);
    CHECK(error_of("udp://*:x").find("not a port number") != std::string::npos);
    CHECK(error_of("udp://*:12/x").find("after the port") != std::string::npos);
    CHECK(error_of("udp://[::1]x").find("after the host") != std::string::npos);
    CHECK(error_of("udp://1.2.3.4:99999999999999999999").find("out of range") != std::string::npos);
    CHECK(error_of("").find("missing host") != std::string::npos);
}

TEST_CASE("listen_url: hostile input stays on one line and short") {
    std::string evil = "udp://\n\x1b[31m" + std::string(500, 'a');
    std::string error = error_of(evil);
    CHECK(error.find('\n') == std::string::npos);
    CHECK(error.find('\x1b') == std::string::npos);
    CHECK(error.size() < 300);
}
