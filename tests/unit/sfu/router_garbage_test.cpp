// A peer that keeps sending undecodable datagrams is dropped; the others are not disturbed.
#include "router_harness.hpp"

#include <doctest/doctest.h>

using namespace rtc;
using namespace rtc::sfu_test;

TEST_CASE("sfu router: a publisher sending garbage is dropped, its viewer stays") {
    const auto now = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
    sfu::Router router(test_config(), now);
    Client publisher(5001), viewer(5002);
    auto p = router.publish("g", publisher.offer("pubg", {{{"0", "audio", "sendonly", "9"}}}), now);
    auto s = router.subscribe("g", viewer.offer("peer", {{{"0", "audio", "recvonly", "9"}}}), now);
    REQUIRE(p.status == 201);
    REQUIRE(s.status == 201);
    publisher.connect(router, p.answer, now);
    viewer.connect(router, s.answer, now);

    // An RTP header with a payload and a tag that fails SRTP authentication (RFC 3711 §3.4).
    std::vector<uint8_t> garbage = {0x80, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0x11, 0x11};
    garbage.resize(12 + 40, 0xA5);
    QueueSink sink;
    for (int i = 0; i < 999; ++i)
        router.on_datagram(garbage, publisher.address, now, sink);
    CHECK(router.has(p.resource));
    publisher.send_rtp(router, 0x1111, 5, now, sink); // a good packet starts the count again
    CHECK(viewer.received(sink).size() == 1);
    for (int i = 0; i < 999; ++i)
        router.on_datagram(garbage, publisher.address, now, sink);
    CHECK(router.has(p.resource));
    router.on_datagram(garbage, publisher.address, now, sink);
    CHECK(!router.has(p.resource));
    CHECK(router.has(s.resource));
    CHECK(router.stats().garbage_drops == 1);
    const auto removed = router.take_removed();
    REQUIRE(removed.size() == 1);
    CHECK(removed[0].first == p.resource);
    CHECK(removed[0].second.find("in a row") != std::string::npos);
    // More garbage from that address reaches nobody.
    const auto unknown = router.stats().drops_unknown;
    router.on_datagram(garbage, publisher.address, now, sink);
    CHECK(router.stats().drops_unknown == unknown + 1);
}
