// Both DTLS roles (RFC 8842 §5.3): an offer with a=setup:passive makes sfu::Router the DTLS
// client; media flows either way.
#include "router_harness.hpp"

#include <doctest/doctest.h>

using namespace rtc;
using namespace rtc::sfu_test;

TEST_CASE("sfu router: a passive offerer gets an active answer and a DTLS client") {
    auto config = test_config();
    const auto now = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
    sfu::Router router(config, now);
    Client publisher(5001), viewer(5002);
    publisher.setup = "passive"; // the SFU is the publisher's DTLS client
    auto p = router.publish("a", publisher.offer("pubd", {{{"0", "audio", "sendonly", "9"}}}), now);
    auto s = router.subscribe("a", viewer.offer("peer", {{{"0", "audio", "recvonly", "9"}}}), now);
    REQUIRE(p.status == 201);
    REQUIRE(s.status == 201);
    CHECK(p.answer.find("a=setup:active\r\n") != std::string::npos);
    CHECK(s.answer.find("a=setup:passive\r\n") != std::string::npos);
    publisher.connect(router, p.answer, now);
    viewer.connect(router, s.answer, now);
    CHECK(router.stats().connected == 2);

    QueueSink sink;
    publisher.send_rtp(router, 0x1111, 7, now, sink);
    auto got = viewer.received(sink);
    REQUIRE(got.size() == 1);
    CHECK(got[0].ssrc == answered_ssrc(s.answer, 0));

    SUBCASE("an initial offer cannot claim the active role") {
        Client other(5003);
        other.setup = "active";
        auto r = router.publish("b", other.offer("pubo", {{{"0", "audio", "sendonly", "9"}}}), now);
        CHECK(r.status == 400);
    }
    SUBCASE("a later offer may not swap the roles") {
        viewer.setup = "passive";
        auto r = router.renegotiate(s.resource, "",
                                    viewer.offer("peer", {{{"0", "audio", "recvonly", "9"}}}), now);
        CHECK(r.status == 400);
        viewer.setup = "active"; // the viewer is the DTLS client already: fine
        r = router.renegotiate(s.resource, "",
                               viewer.offer("peer", {{{"0", "audio", "recvonly", "9"}}}), now);
        CHECK(r.status == 200);
        CHECK(r.answer.find("a=setup:passive\r\n") != std::string::npos);
    }
}
