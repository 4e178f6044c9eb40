#include "util/ip_address.hpp"

#include <doctest/doctest.h>

using rtc::util::Endpoint;
using rtc::util::IpAddress;

TEST_CASE("ip_address: parse and print IPv4 and IPv6") {
    auto a = IpAddress::parse("192.0.2.1");
    REQUIRE(a);
    CHECK(a->is_v4());
    CHECK(a->v4_host_order() == 0xc0000201u);
    CHECK(a->to_string() == "192.0.2.1");
    auto b = IpAddress::parse("[2001:DB8::1]");
    REQUIRE(b);
    CHECK(b->is_v6());
    CHECK(b->to_string() == "2001:db8::1"); // RFC 5952 lower case, compressed
    CHECK_FALSE(IpAddress::parse("300.1.1.1"));
    CHECK_FALSE(IpAddress::parse(""));
    CHECK_FALSE(IpAddress::parse("1.2.3"));
    CHECK_FALSE(IpAddress::parse("::g"));
}

TEST_CASE("ip_address: endpoints") {
    auto e = Endpoint::parse("[::1]:3478");
    REQUIRE(e);
    CHECK(e->address.is_loopback());
    CHECK(e->port == 3478);
    CHECK(e->to_string() == "[::1]:3478");
    CHECK(Endpoint::parse("127.0.0.1:0")->port == 0);
    CHECK_FALSE(Endpoint::parse("127.0.0.1"));
    CHECK_FALSE(Endpoint::parse("127.0.0.1:65536"));
    CHECK_FALSE(Endpoint::parse("::1:80"));
    CHECK_FALSE(Endpoint::parse("1.2.3.4:8x"));
}

TEST_CASE("ip_address: ordering and hashing distinguish families") {
    auto v4 = IpAddress::any(rtc::util::Family::V4);
    auto v6 = IpAddress::any(rtc::util::Family::V6);
    CHECK(v4 != v6);
    CHECK(v4.is_unspecified());
    CHECK(v6.is_unspecified());
    CHECK(std::hash<IpAddress>{}(v4) != std::hash<IpAddress>{}(v6));
}
