// Forwarding to a subscriber fed by two streams (one receiving PeerConnection renegotiated,
// RFC 8829 §5.2.2): real ICE checks, DTLS-SRTP handshakes and SRTP packets through sfu::Router.
#include "router_harness.hpp"

#include <doctest/doctest.h>

using namespace rtc;
using namespace rtc::sfu_test;

TEST_CASE("sfu router renegotiate: one subscriber peer forwarded two streams, then one") {
    auto config = test_config();
    const auto now = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
    sfu::Router router(config, now);
    Client pub_a(5001), pub_b(5002), viewer(5003);

    auto a = router.publish("a", pub_a.offer("puba", {{{"0", "audio", "sendonly", "9"}}}), now);
    auto b = router.publish("b", pub_b.offer("pubb", {{{"0", "audio", "sendonly", "9"}}}), now);
    auto s = router.subscribe("a", viewer.offer("peer", {{{"0", "audio", "recvonly", "9"}}}), now);
    REQUIRE(a.status == 201);
    REQUIRE(b.status == 201);
    REQUIRE(s.status == 201);
    pub_a.connect(router, a.answer, now);
    pub_b.connect(router, b.answer, now);
    viewer.connect(router, s.answer, now);
    REQUIRE(router.stats().connected == 3);

    QueueSink sink;
    pub_a.send_rtp(router, 0x1111, 100, now, sink);
    pub_b.send_rtp(router, 0x2222, 500, now, sink);
    const uint32_t ssrc_a = answered_ssrc(s.answer, 0);
    auto got = viewer.received(sink);
    REQUIRE(got.size() == 1); // "b" is not received yet
    CHECK(got[0].ssrc == ssrc_a);
    const uint16_t first_sequence = got[0].sequence;

    auto grown = router.renegotiate(
        s.resource, "b",
        viewer.offer("peer", {{{"0", "audio", "recvonly", "9"}, {"1", "audio", "recvonly", "9"}}}),
        now);
    REQUIRE(grown.status == 200);
    CHECK(answered_ssrc(grown.answer, 0) == ssrc_a);
    const uint32_t ssrc_b = answered_ssrc(grown.answer, 1);
    pub_a.send_rtp(router, 0x1111, 101, now, sink);
    pub_b.send_rtp(router, 0x2222, 501, now, sink);
    got = viewer.received(sink);
    REQUIRE(got.size() == 2);
    CHECK(got[0].ssrc == ssrc_a);
    CHECK(got[0].sequence == uint16_t(first_sequence + 1)); // RFC 3550 §5.1 continuity
    CHECK(got[1].ssrc == ssrc_b);

    // "a"'s section stopped: its packets are no longer forwarded, "b"'s still are.
    auto shrunk = router.renegotiate(
        s.resource, "",
        viewer.offer("peer", {{{"0", "audio", "recvonly", "0"}, {"1", "audio", "recvonly", "9"}}}),
        now);
    REQUIRE(shrunk.status == 200);
    pub_a.send_rtp(router, 0x1111, 102, now, sink);
    pub_b.send_rtp(router, 0x2222, 502, now, sink);
    got = viewer.received(sink);
    REQUIRE(got.size() == 1);
    CHECK(got[0].ssrc == ssrc_b);

    // "b"'s publisher leaves: the viewer stays connected, nothing is forwarded to it.
    REQUIRE(router.remove(b.resource));
    CHECK(router.has(s.resource));
    pub_a.send_rtp(router, 0x1111, 103, now, sink);
    CHECK(viewer.received(sink).empty());
    CHECK(router.stats().connected == 2);
}
