// sfu::Router's own RTCP per hop: SRs to subscribers mapped from the publisher's SR (RFC 3550
// §6.4.1), the REMB cap to publishers (--max-bitrate), and the --max-tracks limit on offers.
#include "router_harness.hpp"

#include <doctest/doctest.h>

using namespace rtc;
using namespace rtc::sfu_test;

TEST_CASE("sfu router: a subscriber gets SRs in its own SSRC and timestamp space") {
    auto now = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
    sfu::Router router(test_config(), now);
    Client publisher(5001), viewer(5002);
    auto p = router.publish("a", publisher.offer("pubr", {{{"0", "audio", "sendonly", "9"}}}), now);
    auto s = router.subscribe("a", viewer.offer("peer", {{{"0", "audio", "recvonly", "9"}}}), now);
    REQUIRE(p.status == 201);
    REQUIRE(s.status == 201);
    publisher.connect(router, p.answer, now);
    viewer.connect(router, s.answer, now);
    const uint32_t ssrc = answered_ssrc(s.answer, 0);

    // Reports are due once a second from the Router's creation.
    QueueSink sink;
    now += std::chrono::seconds(2);
    router.on_timer(now, sink);
    CHECK(viewer.sender_reports(sink).empty()); // nothing sent yet, no SR

    publisher.send_rtp(router, 0x1111, 100, now, sink); // RTP timestamp 100
    auto got = viewer.received(sink);
    REQUIRE(got.size() == 1);
    const uint64_t ntp = (uint64_t{3'900'000'000} << 32) | 0x80000000u; // x.5 s
    publisher.send_sender_report(router, 0x1111, ntp, 100, now, sink);
    sink.sent.clear();

    // 2.5 s later at 48 kHz: 120,000 ticks and 2.5 s of NTP after the publisher's SR.
    now += std::chrono::milliseconds(2500);
    router.on_timer(now, sink);
    auto reports = viewer.sender_reports(sink);
    REQUIRE(reports.size() == 1);
    const auto& sr = reports[0];
    CHECK(sr.sender_ssrc == ssrc);
    CHECK(sr.packet_count == 1);
    CHECK(sr.octet_count == 4);
    CHECK(sr.ntp_timestamp == ntp + (uint64_t{2} << 32) + 0x80000000u);
    const uint32_t forwarded_timestamp = got[0].timestamp;
    CHECK(sr.rtp_timestamp - forwarded_timestamp == 120'000u); // 2.5 s at 48 kHz
}

TEST_CASE("sfu router: publishers are told --max-bitrate by REMB") {
    auto config = test_config();
    config.max_publisher_bitrate = 777'000;
    auto now = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
    sfu::Router router(config, now);
    Client publisher(5001);
    auto p = router.publish("v", publisher.offer("pubv", {{{"0", "video", "sendonly", "9"}}}), now);
    REQUIRE(p.status == 201);
    publisher.connect(router, p.answer, now);
    QueueSink sink;
    publisher.send_rtp(router, 0x2222, 1, now, sink);
    sink.sent.clear();
    router.on_timer(now + std::chrono::seconds(2), sink);
    uint64_t remb = 0;
    for (const auto& compound : publisher.rtcp(sink)) {
        rtp::RtcpIterator packets(compound);
        while (auto packet = packets.next())
            if (auto fb = rtp::parse_feedback(*packet))
                if (auto r = rtp::parse_remb(*fb))
                    remb = r->bitrate_bps;
    }
    // REMB's mantissa keeps 18 bits (draft-alvestrand-rmcat-remb §2.2): exact for this value.
    CHECK(remb == 777'000);
}

TEST_CASE("sfu router: offers with more audio/video sections than --max-tracks get 400") {
    auto config = test_config();
    config.max_tracks = 2;
    const auto now = std::chrono::steady_clock::time_point(std::chrono::seconds(1000));
    sfu::Router router(config, now);
    Client publisher(5001);
    auto three = router.publish("t",
                                publisher.offer("pubt", {{{"0", "audio", "sendonly", "9"},
                                                          {"1", "audio", "sendonly", "9"},
                                                          {"2", "audio", "sendonly", "9"}}}),
                                now);
    CHECK(three.status == 400);
    CHECK(three.error.find("--max-tracks") != std::string::npos);
    auto two = router.publish("t",
                              publisher.offer("pubt", {{{"0", "audio", "sendonly", "9"},
                                                        {"1", "audio", "sendonly", "9"}}}),
                              now);
    CHECK(two.status == 201);
}
