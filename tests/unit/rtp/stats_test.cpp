// Retransmit buffer (RFC 4585 §6.2.1 answers), receive statistics (RFC 3550 A.1, A.3, A.8) and
// the NACK tracker.
#include "rtp/nack_tracker.hpp"
#include "rtp/receive_stats.hpp"
#include "rtp/retransmit_buffer.hpp"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

using namespace rtc::rtp;
using namespace std::chrono_literals;

TEST_CASE("rtp: retransmit buffer stores, finds and forgets overwritten packets") {
    RetransmitBuffer rb(500, 100); // rounds up to 512
    CHECK(rb.capacity() == 512);
    CHECK(rb.find(1).empty());
    std::array<uint8_t, 3> pkt = {1, 2, 3};
    CHECK(rb.store(65530, pkt));
    pkt[0] = 9;
    CHECK(rb.store(5, pkt)); // after the wrap
    REQUIRE(rb.find(65530).size() == 3);
    CHECK(rb.find(65530)[0] == 1);
    CHECK(rb.find(5)[0] == 9);
    CHECK(rb.find(6).empty());

    std::array<uint8_t, 101> big{};
    CHECK_FALSE(rb.store(7, big));
    CHECK(rb.find(7).empty());

    // Storing 5 + 512 reuses 5's slot: 5 is gone, 517 is there.
    CHECK(rb.store(517, pkt));
    CHECK(rb.find(5).empty());
    CHECK(rb.find(517).size() == 3);
    // 65530 + 1024 wraps to 506 and takes its slot: 65530 is gone too.
    for (uint16_t s = 518; s != 1100; ++s)
        rb.store(s, pkt);
    CHECK(rb.find(65530).empty());
    CHECK(rb.find(1099).size() == 3);
    CHECK(rb.find(1099 - 511).size() == 3);
    CHECK(rb.find(1099 - 512).empty());
    rb.clear();
    CHECK(rb.find(1099).empty());
}

TEST_CASE("rtp: receive stats count loss, fraction and extended sequence (RFC 3550 A.3)") {
    ReceiveStats st;
    CHECK_FALSE(st.started());
    // 65530..65535, 0..9 with 3 lost (65534, 2, 3): 16 expected, 13 received.
    uint32_t ts = 0;
    for (uint16_t s = 65530; s != 10; ++s) {
        ts += 960;
        if (s == 65534 || s == 2 || s == 3)
            continue;
        CHECK(st.update(s, ts, ts)); // constant transit: no jitter
    }
    CHECK(st.extended_highest_sequence() == 65536u + 9);
    CHECK(st.cumulative_lost() == 3);
    CHECK(st.packets_received() == 13);
    CHECK(st.fraction_lost() == (3 * 256) / 16);
    CHECK(st.jitter() == 0);
    const ReportBlock b = st.report_block(0xABCD, 0x11112222, 0x8000);
    CHECK(b.ssrc == 0xABCD);
    CHECK(b.fraction_lost == 48);
    CHECK(b.cumulative_lost == 3);
    CHECK(b.highest_sequence == 65545u);
    CHECK(b.last_sr == 0x11112222);
    CHECK(b.delay_since_last_sr == 0x8000);
    // New interval: nothing lost yet.
    CHECK(st.fraction_lost() == 0);
    for (uint16_t s = 10; s < 20; ++s)
        st.update(s, 0, 0);
    CHECK(st.fraction_lost() == 0);
    // A late packet (one of the lost) lowers the cumulative loss.
    st.update(2, 0, 0);
    CHECK(st.cumulative_lost() == 2);
    CHECK(st.extended_highest_sequence() == 65536u + 19);
}

TEST_CASE("rtp: receive stats jitter (RFC 3550 A.8) and restart on a big jump (A.1)") {
    ReceiveStats st;
    // Transit alternates by 160 units: each step |D| = 160, J converges towards 160.
    uint32_t ts = 1000;
    for (int i = 0; i < 400; ++i) {
        const uint32_t arrival = ts + 5000 + ((i % 2) ? 160u : 0u);
        st.update(static_cast<uint16_t>(i), ts, arrival);
        ts += 160;
    }
    CHECK(st.jitter() >= 150);
    CHECK(st.jitter() <= 160);
    // First packet after one step: J = 160/16 = 10.
    ReceiveStats one;
    one.update(1, 0, 100);
    one.update(2, 0, 260);
    CHECK(one.jitter() == 10);

    // Big jump: first such packet ignored, second in sequence restarts.
    ReceiveStats r;
    for (uint16_t s = 100; s < 110; ++s)
        r.update(s, 0, 0);
    CHECK_FALSE(r.update(30000, 0, 0));
    CHECK(r.extended_highest_sequence() == 109);
    CHECK(r.update(30001, 0, 0));
    CHECK(r.extended_highest_sequence() == 30001);
    CHECK(r.cumulative_lost() == 0);
    CHECK(r.packets_received() == 1);
}

TEST_CASE("rtp: nack tracker reports gaps, retries, drops late arrivals") {
    NackConfig cfg;
    cfg.max_retries = 2;
    cfg.retry_interval = 50ms;
    NackTracker nt(cfg);
    const auto t0 = std::chrono::steady_clock::time_point{} + 10s;
    std::array<uint16_t, 16> out{};
    CHECK_FALSE(nt.next_deadline());
    nt.on_packet(65533, t0);
    nt.on_packet(65534, t0);
    nt.on_packet(2, t0); // 65535, 0, 1 missing
    CHECK(nt.outstanding() == 3);
    REQUIRE(nt.next_deadline());
    CHECK(*nt.next_deadline() == t0);
    REQUIRE(nt.due(t0, out) == 3);
    CHECK(out[0] == 65535);
    CHECK(out[1] == 0);
    CHECK(out[2] == 1);
    CHECK(nt.due(t0 + 10ms, out) == 0); // not yet
    CHECK(*nt.next_deadline() == t0 + 50ms);

    nt.on_packet(0, t0 + 20ms); // arrived late: no longer missing
    CHECK(nt.outstanding() == 2);
    REQUIRE(nt.due(t0 + 50ms, out) == 2);
    CHECK(out[0] == 65535);
    CHECK(out[1] == 1);
    // Two retries used: given up.
    CHECK(nt.outstanding() == 0);
    CHECK(nt.due(t0 + 1s, out) == 0);
    CHECK_FALSE(nt.next_deadline());

    // Output span limits what is returned; the rest stays due.
    nt.on_packet(10, t0); // 3..9 missing
    CHECK(nt.outstanding() == 7);
    std::array<uint16_t, 4> small{};
    CHECK(nt.due(t0, small) == 4);
    CHECK(small[0] == 3);
    CHECK(nt.due(t0, small) == 3);
    CHECK(small[0] == 7);
}

TEST_CASE("rtp: nack tracker bounds, jumps and reordering delay") {
    NackConfig cfg;
    cfg.first_delay = 20ms;
    NackTracker nt(cfg);
    const auto t0 = std::chrono::steady_clock::time_point{} + 10s;
    std::array<uint16_t, 300> out{};
    nt.on_packet(0, t0);
    nt.on_packet(600, t0); // 599 missing, only the newest 256 kept
    CHECK(nt.outstanding() == kMaxNackOutstanding);
    CHECK(nt.due(t0, out) == 0); // reordering delay
    REQUIRE(nt.due(t0 + 20ms, out) == kMaxNackOutstanding);
    CHECK(out[0] == 600 - 256);
    CHECK(out[255] == 599);

    // A jump over reset_jump forgets everything.
    nt.on_packet(3000, t0);
    CHECK(nt.outstanding() == 0);
    nt.on_packet(3002, t0);
    CHECK(nt.outstanding() == 1);
    // Old packets and duplicates change nothing.
    nt.on_packet(2000, t0);
    nt.on_packet(3002, t0);
    CHECK(nt.outstanding() == 1);
    nt.reset();
    CHECK(nt.outstanding() == 0);
    nt.on_packet(5, t0);
    CHECK(nt.outstanding() == 0);
}
