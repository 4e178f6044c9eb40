#include "turn/peer_filter.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rtc;
using rtc::turn::Cidr;
using rtc::turn::PeerFilter;
using rtc::turn::PeerFilterConfig;

namespace {

util::IpAddress ip(const char* text) {
    auto a = util::IpAddress::parse(text);
    REQUIRE_MESSAGE(a.has_value(), text);
    return *a;
}

Cidr cidr(const char* text) {
    auto c = Cidr::parse(text);
    REQUIRE_MESSAGE(c.has_value(), text);
    return *c;
}

bool allowed(const PeerFilter& f, const char* text) {
    return f.allowed(ip(text));
}

} // namespace

TEST_CASE("turn::Cidr parses IPv4 and IPv6 prefixes and clears host bits") {
    auto a = cidr("10.0.0.0/8");
    CHECK(a.prefix == 8);
    CHECK(a.to_string() == "10.0.0.0/8");
    CHECK(a.contains(ip("10.255.1.2")));
    CHECK_FALSE(a.contains(ip("11.0.0.0")));
    CHECK_FALSE(a.contains(ip("::ffff:10.0.0.1"))); // families never mix in Cidr itself

    CHECK(cidr("192.168.1.7/24").to_string() == "192.168.1.0/24");
    CHECK(cidr("fe80::1/10").to_string() == "fe80::/10");
    CHECK(cidr("[2001:db8::]/32").contains(ip("2001:db8:ffff::1")));
    CHECK(cidr("203.0.113.5").prefix == 32);
    CHECK(cidr("::1").prefix == 128);
    CHECK(cidr("0.0.0.0/0").contains(ip("8.8.8.8")));
    CHECK(cidr("::/0").contains(ip("2a00::1")));
    CHECK(cidr("100.64.0.0/10").contains(ip("100.127.255.255")));
    CHECK_FALSE(cidr("100.64.0.0/10").contains(ip("100.128.0.0")));

    for (const char* bad : {"", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1",
                            "10.0.0.0/8x", "10.0.0/8", "host/8", "10.0.0.0/0008", "::1/ 8"}) {
        CAPTURE(bad);
        CHECK_FALSE(Cidr::parse(bad).has_value());
    }
}

TEST_CASE("turn::embedded_ipv4 finds every IPv4-in-IPv6 spelling") {
    auto one = [](const char* text) {
        auto e = turn::embedded_ipv4(ip(text));
        REQUIRE(e.count == 1);
        return e.addresses[0].to_string();
    };
    CHECK(one("::ffff:10.1.2.3") == "10.1.2.3");      // mapped
    CHECK(one("::10.1.2.3") == "10.1.2.3");           // compatible
    CHECK(one("::ffff:0:10.1.2.3") == "10.1.2.3");    // translated
    CHECK(one("2002:c0a8:0101::1") == "192.168.1.1"); // 6to4
    CHECK(one("64:ff9b::169.254.169.254") == "169.254.169.254");
    // 64:ff9b:1::/48 keeps the address in bits 48-63 and 72-95 (RFC 6052 §2.2).
    CHECK(one("64:ff9b:1:7f00:0:100::") == "127.0.0.1");

    // Teredo: server 65.54.227.120, client 192.168.1.1 stored inverted (RFC 4380 §4).
    auto t = turn::embedded_ipv4(ip("2001:0:4136:e378:8000:63bf:3f57:fefe"));
    REQUIRE(t.count == 2);
    CHECK(t.addresses[0].to_string() == "65.54.227.120");
    CHECK(t.addresses[1].to_string() == "192.168.1.1");

    CHECK(turn::embedded_ipv4(ip("2a00:1450::1")).count == 0);
    CHECK(turn::embedded_ipv4(ip("::1")).count == 0);
    CHECK(turn::embedded_ipv4(ip("::")).count == 0);
    CHECK(turn::embedded_ipv4(ip("8.8.8.8")).count == 0);

    CHECK(turn::unmap_ipv4(ip("::ffff:8.8.4.4")) == ip("8.8.4.4"));
    CHECK(turn::unmap_ipv4(ip("2a00::1")) == ip("2a00::1"));
}

TEST_CASE("turn::PeerFilter refuses the default denied ranges and allows public peers") {
    PeerFilter f;
    for (const char* good :
         {"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0",
          "198.20.0.1", "223.255.255.255", "2a00:1450:4001::1", "2606:4700::1111", "::ffff:8.8.8.8",
          "2002:0808:0808::1", "64:ff9b::8.8.8.8"}) {
        CAPTURE(good);
        // 6to4 and NAT64 are refused as whole prefixes by default, even with a public IPv4.
        std::string s = good;
        bool tunnel = s.rfind("2002:", 0) == 0 || s.rfind("64:ff9b", 0) == 0;
        CHECK(f.allowed(ip(good)) == !tunnel);
    }
    for (const char* bad : {"0.0.0.0",
                            "0.1.2.3",
                            "10.0.0.1",
                            "100.64.0.1",
                            "100.127.1.1",
                            "127.0.0.1",
                            "127.1.2.3",
                            "169.254.169.254",
                            "172.16.0.1",
                            "172.31.255.255",
                            "192.0.0.8",
                            "192.0.2.1",
                            "192.88.99.1",
                            "192.168.0.1",
                            "198.18.0.1",
                            "198.19.255.255",
                            "198.51.100.7",
                            "203.0.113.9",
                            "224.0.0.1",
                            "239.255.255.250",
                            "240.0.0.1",
                            "255.255.255.255",
                            "::",
                            "::1",
                            "fc00::1",
                            "fd12:3456::1",
                            "fe80::1",
                            "febf::1",
                            "fec0::1",
                            "ff02::1",
                            "2001:db8::1",
                            "2001::1",
                            "2001:0:4136:e378:8000:63bf:3f57:fefe",
                            "2002:0a00:0001::1",
                            "64:ff9b::10.0.0.1",
                            "64:ff9b:1::1",
                            "100::1",
                            "2001:2::1",
                            "2001:10::1",
                            "2001:20::1",
                            "3fff::1"}) {
        CAPTURE(bad);
        CHECK_FALSE(f.allowed(ip(bad)));
    }
}

TEST_CASE("turn::PeerFilter refuses every IPv4-in-IPv6 spelling of a denied address") {
    PeerFilter f;
    for (const char* v4 : {"127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.1.1", "100.64.0.1",
                           "224.0.0.1", "0.0.0.0", "255.255.255.255"}) {
        std::string s = v4;
        CAPTURE(s);
        CHECK_FALSE(f.allowed(ip(("::ffff:" + s).c_str())));   // mapped
        CHECK_FALSE(f.allowed(ip(("::" + s).c_str())));        // compatible
        CHECK_FALSE(f.allowed(ip(("::ffff:0:" + s).c_str()))); // translated
        CHECK_FALSE(f.allowed(ip(("64:ff9b::" + s).c_str()))); // NAT64
    }
    // 6to4 embedding loopback / metadata, Teredo with a private client.
    CHECK_FALSE(allowed(f, "2002:7f00:0001::1"));
    CHECK_FALSE(allowed(f, "2002:a9fe:a9fe::1"));
}

TEST_CASE("turn::PeerFilter allow list, loopback flag and deny list") {
    SUBCASE("loopback flag allows 127/8 and ::1 in every spelling, never 0.0.0.0") {
        PeerFilter f(PeerFilterConfig{{}, {}, true});
        CHECK(allowed(f, "127.0.0.1"));
        CHECK(allowed(f, "127.1.2.3"));
        CHECK(allowed(f, "::1"));
        CHECK(allowed(f, "::ffff:127.0.0.1"));
        CHECK_FALSE(allowed(f, "0.0.0.0"));
        CHECK_FALSE(allowed(f, "::"));
        CHECK_FALSE(allowed(f, "10.0.0.1"));
        CHECK_FALSE(allowed(f, "::ffff:0.0.0.0"));
    }
    SUBCASE("allow list opens a private range, also when spelled as IPv6") {
        PeerFilter f(PeerFilterConfig{{cidr("10.0.0.0/8")}, {}, false});
        CHECK(allowed(f, "10.9.9.9"));
        CHECK(allowed(f, "::ffff:10.9.9.9"));
        CHECK_FALSE(allowed(f, "192.168.1.1"));
        CHECK_FALSE(allowed(f, "127.0.0.1"));
        CHECK_FALSE(allowed(f, "0.0.0.0"));
    }
    SUBCASE("allowing a tunnel prefix still checks the embedded IPv4") {
        PeerFilter f(PeerFilterConfig{{cidr("2002::/16"), cidr("64:ff9b::/96")}, {}, false});
        CHECK(allowed(f, "2002:0808:0808::1"));
        CHECK_FALSE(allowed(f, "2002:0a00:0001::1"));
        CHECK(allowed(f, "64:ff9b::8.8.8.8"));
        CHECK_FALSE(allowed(f, "64:ff9b::127.0.0.1"));
    }
    SUBCASE("deny list adds ranges and wins over the allow list") {
        PeerFilter f(PeerFilterConfig{
            {cidr("10.0.0.0/8")}, {cidr("8.8.8.0/24"), cidr("10.1.0.0/16")}, true});
        CHECK_FALSE(allowed(f, "8.8.8.8"));
        CHECK_FALSE(allowed(f, "::ffff:8.8.8.8"));
        CHECK_FALSE(allowed(f, "10.1.2.3"));
        CHECK(allowed(f, "10.2.0.1"));
        CHECK(allowed(f, "8.8.4.4"));
    }
    SUBCASE("an IPv6 allow entry") {
        PeerFilter f(PeerFilterConfig{{cidr("fd00::/8")}, {cidr("2a00::/16")}, false});
        CHECK(allowed(f, "fd00::5"));
        CHECK_FALSE(allowed(f, "fc00::5"));
        CHECK_FALSE(allowed(f, "2a00:1450::1"));
        CHECK(allowed(f, "2a01::1"));
    }
}
