#include "net/port_probe.hpp"
#include "net/relay_socket.hpp"

#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <doctest/doctest.h>

#include <cerrno>
#include <system_error>

using rtc::util::Endpoint;

TEST_CASE("net::is_address_in_use: OS and Asio spellings, nothing else") {
    CHECK(rtc::net::is_address_in_use(std::error_code(EADDRINUSE, std::system_category())));
    CHECK(rtc::net::is_address_in_use(std::make_error_code(std::errc::address_in_use)));
    // Standalone Asio's category does not compare equal to std::errc::address_in_use.
    std::error_code asio_ec = asio::error::address_in_use;
    CHECK(rtc::net::is_address_in_use(asio_ec));
    CHECK_FALSE(rtc::net::is_address_in_use({}));
    CHECK_FALSE(rtc::net::is_address_in_use(std::error_code(EACCES, std::system_category())));
}

TEST_CASE("net::probe_port_free: a held port is reported, a free one is not") {
    asio::io_context io;
    asio::ip::udp::socket held(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto port = held.local_endpoint().port();
    auto ec = rtc::net::probe_port_free(*Endpoint::parse("127.0.0.1:" + std::to_string(port)),
                                        rtc::net::Protocol::Udp);
    CHECK(rtc::net::is_address_in_use(ec));
    held.close();
    CHECK_FALSE(rtc::net::probe_port_free(*Endpoint::parse("127.0.0.1:" + std::to_string(port)),
                                          rtc::net::Protocol::Udp));
    CHECK_FALSE(
        rtc::net::probe_port_free(*Endpoint::parse("127.0.0.1:0"), rtc::net::Protocol::Udp));
}

TEST_CASE("net::RelaySockets::open tries another port when the random one is taken") {
    asio::io_context io;
    const auto loopback = asio::ip::make_address("127.0.0.1");
    // Eight consecutive free ports, seven of them then held: only one is left to find.
    uint16_t base = 0;
    for (uint16_t candidate = 41000; candidate < 49000 && base == 0; candidate += 8) {
        bool all_free = true;
        for (uint16_t p = candidate; p < candidate + 8; ++p)
            all_free = all_free && !rtc::net::probe_port_free(
                                       {rtc::util::IpAddress::loopback(rtc::util::Family::V4), p},
                                       rtc::net::Protocol::Udp);
        if (all_free)
            base = candidate;
    }
    REQUIRE(base != 0);
    std::vector<std::unique_ptr<asio::ip::udp::socket>> held;
    for (uint16_t p = base; p < base + 7; ++p)
        held.push_back(
            std::make_unique<asio::ip::udp::socket>(io, asio::ip::udp::endpoint(loopback, p)));

    rtc::net::RelaySocketOptions options;
    options.min_port = base;
    options.max_port = static_cast<uint16_t>(base + 7);
    rtc::net::RelaySockets relays(io, options, [](auto, auto) {});
    std::error_code ec;
    auto bound = relays.open(rtc::util::IpAddress::loopback(rtc::util::Family::V4), false, ec);
    REQUIRE_MESSAGE(bound, ec.message());
    CHECK(bound->local.port == base + 7);
}
