#include "probe/server_url.hpp"

#include <doctest/doctest.h>

using namespace rtc::probe;

TEST_CASE("server url: RFC 7064 / RFC 7065 forms and defaults") {
    auto u = parse_server_url("stun:stun.example.org");
    REQUIRE(u.has_value());
    CHECK(u->scheme == UrlScheme::Stun);
    CHECK(u->host == "stun.example.org");
    CHECK(u->port == 3478);
    CHECK(u->transport == UrlTransport::Udp);
    CHECK_FALSE(u->literal().has_value());
    CHECK(u->to_string() == "stun:stun.example.org:3478");

    u = parse_server_url("STUNS:192.0.2.1");
    REQUIRE(u.has_value());
    CHECK(u->secure());
    CHECK(u->port == 5349);
    CHECK(u->transport == UrlTransport::Tcp);
    CHECK(u->literal() == rtc::util::IpAddress::parse("192.0.2.1"));

    u = parse_server_url("stun:[2001:db8::1]:3479?transport=tcp");
    REQUIRE(u.has_value());
    CHECK(u->host == "2001:db8::1");
    CHECK(u->port == 3479);
    CHECK(u->transport == UrlTransport::Tcp);
    CHECK(u->to_string() == "stun:[2001:db8::1]:3479?transport=tcp");

    u = parse_server_url("turn:turn.example.org:80?transport=UDP");
    REQUIRE(u.has_value());
    CHECK(u->is_turn());
    CHECK(u->transport == UrlTransport::Udp);
    CHECK(u->transport_given);
}

TEST_CASE("server url: malformed input is refused with a reason") {
    for (const char* bad :
         {"", "stun", "http://x", "stun://host", "stun:", "stun:host:", "stun:host:0",
          "stun:host:65536", "stun:host:12a", "stun:[::1", "stun:[::1]x", "stun:[192.0.2.1]",
          "stun:::1", "stun:host?transport=sctp", "stun:host?foo=bar", "stun:ho st",
          "stun:host:1234567"}) {
        CAPTURE(bad);
        std::string why;
        CHECK_FALSE(parse_server_url(bad, &why).has_value());
        CHECK_FALSE(why.empty());
    }
    std::string why;
    parse_server_url(std::string("stun:\x01\x1b[2J"), &why);
    CHECK(why.find('\x1b') == std::string::npos); // control bytes never reach the terminal
}
