#include "net/socket_address.hpp"

#include <doctest/doctest.h>
#include <netinet/in.h>

using rtc::util::Endpoint;

TEST_CASE("net: endpoints convert to sockaddr and back") {
    for (const char* text : {"192.0.2.7:3478", "[2001:db8::1]:5349", "0.0.0.0:0", "[::]:65535"}) {
        const auto e = Endpoint::parse(text);
        REQUIRE(e.has_value());
        sockaddr_storage ss;
        const socklen_t len = rtc::net::to_sockaddr(*e, ss);
        CHECK(len == (e->address.is_v4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6)));
        const auto back = rtc::net::from_sockaddr(ss, len);
        REQUIRE(back.has_value());
        CHECK(*back == *e);
        CHECK(rtc::net::from_asio(rtc::net::to_udp(*e)) == *e);
        CHECK(rtc::net::from_asio(rtc::net::to_tcp(*e)) == *e);
    }
    const auto e = *Endpoint::parse("192.0.2.7:3478");
    sockaddr_storage ss;
    rtc::net::to_sockaddr(e, ss);
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    CHECK(ntohs(sin->sin_port) == 3478);
    CHECK(ntohl(sin->sin_addr.s_addr) == 0xc0000207u);
    // Too short for its family, or an unknown family.
    CHECK_FALSE(rtc::net::from_sockaddr(ss, 4).has_value());
    ss.ss_family = AF_UNIX;
    CHECK_FALSE(rtc::net::from_sockaddr(ss, sizeof(ss)).has_value());
}
