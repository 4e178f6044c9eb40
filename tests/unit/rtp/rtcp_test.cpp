// RTCP compound iteration and typed views over packets written by hand from the figures of
// RFC 3550 §6.4-6.6, RFC 4585 §6.1-6.3, RFC 5104 §4.3.1 and draft-alvestrand-rmcat-remb §2.2,
// then builder round trips.
#include "rtp/rtcp.hpp"
#include "rtp/rtcp_builder.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <vector>

using namespace rtc::rtp;

namespace {

const std::vector<uint8_t> kSr = {
    0x80, 0xC8, 0x00, 0x06,                         // V=2 RC=0 PT=200 length 6
    0x11, 0x22, 0x33, 0x44,                         // sender SSRC
    0x83, 0xAA, 0x7E, 0x80, 0x12, 0x34, 0x56, 0x78, // NTP
    0x00, 0x00, 0x10, 0x00,                         // RTP timestamp
    0x00, 0x00, 0x00, 0x0A,                         // packets
    0x00, 0x00, 0x03, 0xE8,                         // octets
};
const std::vector<uint8_t> kRr = {
    0x81, 0xC9, 0x00, 0x07, 0x01, 0x02, 0x03, 0x04, // RC=1, reporter SSRC
    0xAA, 0xBB, 0xCC, 0xDD, 0x40, 0xFF, 0xFF, 0xFE, // source, fraction 1/4, lost -2
    0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x20, // ext highest seq, jitter
    0x12, 0x34, 0x56, 0x78, 0x00, 0x01, 0x00, 0x00, // LSR, DLSR
};
const std::vector<uint8_t> kSdes = {
    0x81, 0xCA, 0x00, 0x03, 0x11, 0x22, 0x33, 0x44,
    0x01, 0x04, 'a',  'b',  'c',  'd',  0x00, 0x00, // CNAME "abcd", end, pad
};
const std::vector<uint8_t> kBye = {0x81, 0xCB, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};
const std::vector<uint8_t> kPli = {0x81, 0xCE, 0x00, 0x02, 0x00, 0x00,
                                   0x00, 0x01, 0x11, 0x22, 0x33, 0x44};
const std::vector<uint8_t> kNack = {0x81, 0xCD, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
                                    0x11, 0x22, 0x33, 0x44, 0x00, 0x64, 0x80, 0x01};
const std::vector<uint8_t> kFir = {0x84, 0xCE, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
                                   0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x05, 0x00, 0x00, 0x00};
const std::vector<uint8_t> kRemb = {0x8F, 0xCE, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01,
                                    0x00, 0x00, 0x00, 0x00, 'R',  'E',  'M',  'B',
                                    0x01, 0x0B, 0xD0, 0x90, 0x11, 0x22, 0x33, 0x44};
const std::vector<uint8_t> kTwcc = {0x8F, 0xCD, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x11, 0x22,
                                    0x33, 0x44, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00};

std::vector<uint8_t> cat(std::initializer_list<std::vector<uint8_t>> parts) {
    std::vector<uint8_t> out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

RtcpPacketView only(const std::vector<uint8_t>& bytes) {
    RtcpIterator it(bytes);
    auto p = it.next();
    REQUIRE(p);
    REQUIRE_FALSE(it.next());
    REQUIRE_FALSE(it.malformed());
    return *p;
}

std::span<const uint8_t> view(const std::array<uint8_t, 1500>& buf, std::size_t n) {
    return {buf.data(), n};
}

} // namespace

TEST_CASE("rtp: rtcp compound iteration and malformed tails") {
    const auto compound = cat({kSr, kSdes, kPli, kNack});
    RtcpIterator it(compound);
    std::vector<uint8_t> types;
    while (auto p = it.next())
        types.push_back(p->packet_type());
    CHECK_FALSE(it.malformed());
    CHECK(types == std::vector<uint8_t>{200, 202, 206, 205});

    // A length running past the end: items before it, then malformed.
    auto bad = cat({kSr, kPli});
    bad[kSr.size() + 3] = 0x09;
    RtcpIterator it2(bad);
    CHECK(it2.next());
    CHECK_FALSE(it2.next());
    CHECK(it2.malformed());
    CHECK_FALSE(it2.next());

    // Wrong version in the second packet.
    bad = cat({kSr, kPli});
    bad[kSr.size()] = 0x41;
    RtcpIterator it3(bad);
    CHECK(it3.next());
    CHECK_FALSE(it3.next());
    CHECK(it3.malformed());

    // A trailing fragment shorter than a header.
    bad = cat({kBye, {0x80, 0xC8}});
    RtcpIterator it4(bad);
    CHECK(it4.next());
    CHECK_FALSE(it4.next());
    CHECK(it4.malformed());

    // Padding (P bit) larger than the packet.
    bad = kBye;
    bad[0] |= 0x20;
    bad.back() = 9;
    RtcpIterator it5(bad);
    CHECK_FALSE(it5.next());
    CHECK(it5.malformed());
    // Valid padding is removed from the body.
    auto padded = std::vector<uint8_t>{0xA1, 0xCB, 0x00, 0x02, 0x11, 0x22,
                                       0x33, 0x44, 0x00, 0x00, 0x00, 0x04};
    auto pv = only(padded);
    CHECK(pv.body().size() == 4);
    CHECK(parse_bye(pv)->ssrc(0) == 0x11223344);

    RtcpIterator empty(std::span<const uint8_t>{});
    CHECK_FALSE(empty.next());
    CHECK_FALSE(empty.malformed());
}

TEST_CASE("rtp: rtcp SR and RR views") {
    auto sr = parse_sender_report(only(kSr));
    REQUIRE(sr);
    CHECK(sr->sender_ssrc == 0x11223344);
    CHECK(sr->ntp_timestamp == 0x83AA7E8012345678ull);
    CHECK(sr->rtp_timestamp == 0x1000);
    CHECK(sr->packet_count == 10);
    CHECK(sr->octet_count == 1000);
    CHECK(sr->reports.size() == 0);
    CHECK_FALSE(parse_receiver_report(only(kSr)));

    auto rr = parse_receiver_report(only(kRr));
    REQUIRE(rr);
    CHECK(rr->sender_ssrc == 0x01020304);
    REQUIRE(rr->reports.size() == 1);
    const ReportBlock b = rr->reports[0];
    CHECK(b.ssrc == 0xAABBCCDD);
    CHECK(b.fraction_lost == 0x40);
    CHECK(b.cumulative_lost == -2);
    CHECK(b.highest_sequence == 0x00010005);
    CHECK(b.jitter == 0x20);
    CHECK(b.last_sr == 0x12345678);
    CHECK(b.delay_since_last_sr == 0x10000);
    CHECK(rr->reports[1] == ReportBlock{});

    // RC claiming more blocks than the length holds.
    auto bad = kRr;
    bad[0] = 0x82;
    CHECK_FALSE(parse_receiver_report(only(bad)));
    auto short_sr = std::vector<uint8_t>(kSr.begin(), kSr.begin() + 8);
    short_sr[3] = 0x01;
    CHECK_FALSE(parse_sender_report(only(short_sr)));
}

TEST_CASE("rtp: rtcp SDES and BYE views") {
    SdesIterator it(only(kSdes));
    auto c = it.next();
    REQUIRE(c);
    CHECK(c->ssrc == 0x11223344);
    CHECK(c->cname == "abcd");
    CHECK_FALSE(it.next());
    CHECK_FALSE(it.malformed());

    // Item length past the end.
    auto bad = kSdes;
    bad[9] = 0x20;
    SdesIterator it2(only(bad));
    CHECK_FALSE(it2.next());
    CHECK(it2.malformed());
    // No terminating null item.
    bad = kSdes;
    bad[9] = 0x06;
    SdesIterator it3(only(bad));
    CHECK_FALSE(it3.next());
    CHECK(it3.malformed());
    // Not an SDES packet.
    SdesIterator it4(only(kBye));
    CHECK_FALSE(it4.next());

    auto bye = parse_bye(only(kBye));
    REQUIRE(bye);
    REQUIRE(bye->size() == 1);
    CHECK(bye->ssrc(0) == 0x11223344);
    CHECK(bye->ssrc(1) == 0);
    CHECK(bye->reason.empty());
    std::vector<uint8_t> with_reason = {0x81, 0xCB, 0x00, 0x02, 0x11, 0x22,
                                        0x33, 0x44, 0x02, 'o',  'k',  0x00};
    bye = parse_bye(only(with_reason));
    REQUIRE(bye);
    CHECK(bye->reason == "ok");
    auto too_many = kBye;
    too_many[0] = 0x82;
    CHECK_FALSE(parse_bye(only(too_many)));
}

TEST_CASE("rtp: rtcp feedback views: NACK, PLI, FIR, REMB, TWCC") {
    auto nack = parse_feedback(only(kNack));
    REQUIRE(nack);
    CHECK(nack->kind() == FeedbackKind::Nack);
    CHECK(nack->sender_ssrc == 1);
    CHECK(nack->media_ssrc == 0x11223344);
    std::array<uint16_t, 32> seqs{};
    REQUIRE(nack_sequences(*nack, seqs) == 3);
    CHECK(seqs[0] == 100);
    CHECK(seqs[1] == 101);
    CHECK(seqs[2] == 116);
    std::array<uint16_t, 2> two{};
    CHECK(nack_sequences(*nack, two) == 2);
    std::vector<uint16_t> via_cb;
    CHECK(for_each_nack(*nack, [&](uint16_t s) { via_cb.push_back(s); }));
    CHECK(via_cb == std::vector<uint16_t>{100, 101, 116});
    // PID near the wrap: bits wrap to 0.
    auto wrap = kNack;
    wrap[12] = 0xFF;
    wrap[13] = 0xFF;
    wrap[14] = 0x00;
    wrap[15] = 0x01;
    REQUIRE(nack_sequences(*parse_feedback(only(wrap)), seqs) == 2);
    CHECK(seqs[0] == 0xFFFF);
    CHECK(seqs[1] == 0);

    auto pli = parse_feedback(only(kPli));
    REQUIRE(pli);
    CHECK(pli->kind() == FeedbackKind::Pli);
    CHECK(pli->media_ssrc == 0x11223344);
    CHECK(pli->fci.empty());

    auto fir = parse_feedback(only(kFir));
    REQUIRE(fir);
    CHECK(fir->kind() == FeedbackKind::Fir);
    REQUIRE(fir_count(*fir) == 1);
    CHECK(fir_entry(*fir, 0) == FirEntry{0x11223344, 5});
    CHECK(fir_entry(*fir, 1) == FirEntry{});

    auto remb_fb = parse_feedback(only(kRemb));
    REQUIRE(remb_fb);
    CHECK(remb_fb->kind() == FeedbackKind::Remb);
    auto remb = parse_remb(*remb_fb);
    REQUIRE(remb);
    CHECK(remb->bitrate_bps == 1000000);
    REQUIRE(remb->size() == 1);
    CHECK(remb->ssrc(0) == 0x11223344);
    auto bad_remb = kRemb;
    bad_remb[16] = 2; // two SSRCs claimed, one present
    CHECK_FALSE(parse_remb(*parse_feedback(only(bad_remb))));
    bad_remb = kRemb;
    bad_remb[12] = 'X'; // not REMB: plain application-layer feedback
    CHECK(parse_feedback(only(bad_remb))->kind() == FeedbackKind::Other);
    CHECK_FALSE(parse_remb(*parse_feedback(only(bad_remb))));
    CHECK_FALSE(parse_remb(*pli));

    auto twcc = parse_feedback(only(kTwcc));
    REQUIRE(twcc);
    CHECK(twcc->kind() == FeedbackKind::Twcc);
    CHECK(twcc->fci.size() == 8);

    CHECK_FALSE(parse_feedback(only(kSr)));
    auto short_fb = std::vector<uint8_t>{0x81, 0xCE, 0x00, 0x01, 0, 0, 0, 1};
    CHECK_FALSE(parse_feedback(only(short_fb)));
}

TEST_CASE("rtp: rtcp builders produce the hand-written bytes") {
    std::array<uint8_t, 1500> buf{};
    std::size_t n =
        build_sender_report(buf, {0x11223344, 0x83AA7E8012345678ull, 0x1000, 10, 1000}, {});
    CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(n)) == kSr);
    ReportBlock b{0xAABBCCDD, 0x40, -2, 0x00010005, 0x20, 0x12345678, 0x10000};
    n = build_receiver_report(buf, 0x01020304, std::span<const ReportBlock>(&b, 1));
    CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(n)) == kRr);
    n = build_sdes_cname(buf, 0x11223344, "abcd");
    CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(n)) == kSdes);
    const uint32_t ssrc = 0x11223344;
    n = build_bye(buf, std::span<const uint32_t>(&ssrc, 1));
    CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(n)) == kBye);
    n = build_pli(buf, 1, 0x11223344);
    CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(n)) == kPli);
    const std::array<uint16_t, 3> seqs = {100, 101, 116};
    n = build_nack(buf, 1, 0x11223344, seqs);
    CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(n)) == kNack);
    const FirEntry fe{0x11223344, 5};
    n = build_fir(buf, 1, std::span<const FirEntry>(&fe, 1));
    CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(n)) == kFir);
    n = build_remb(buf, 1, 1000000, std::span<const uint32_t>(&ssrc, 1));
    CHECK(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<long>(n)) == kRemb);
}

TEST_CASE("rtp: rtcp builder round trips and limits") {
    std::array<uint8_t, 1500> buf{};
    std::array<ReportBlock, 3> blocks{};
    for (std::size_t i = 0; i < blocks.size(); ++i)
        blocks[i] = {static_cast<uint32_t>(i + 1),
                     static_cast<uint8_t>(i * 7),
                     static_cast<int32_t>(i) * 1000 - 1500,
                     70000u + static_cast<uint32_t>(i),
                     static_cast<uint32_t>(i * 3),
                     0x01020304,
                     0x00050000};
    std::size_t n = build_sender_report(buf, {9, 0x0102030405060708ull, 77, 5, 6}, blocks);
    REQUIRE(n == 28 + 3 * 24);
    RtcpIterator it(view(buf, n));
    auto sr = parse_sender_report(*it.next());
    REQUIRE(sr);
    CHECK(sr->sender_ssrc == 9);
    CHECK(sr->ntp_timestamp == 0x0102030405060708ull);
    REQUIRE(sr->reports.size() == 3);
    for (std::size_t i = 0; i < 3; ++i)
        CHECK(sr->reports[i] == blocks[i]);

    // Cumulative loss clamps to 24 bits signed.
    ReportBlock huge{};
    huge.cumulative_lost = 50'000'000;
    n = build_receiver_report(buf, 1, std::span<const ReportBlock>(&huge, 1));
    CHECK(parse_receiver_report(*RtcpIterator(view(buf, n)).next())->reports[0].cumulative_lost ==
          0x7FFFFF);

    // 32 blocks do not fit in RC.
    std::array<ReportBlock, 32> many{};
    CHECK(build_receiver_report(buf, 1, many) == 0);

    // NACK packing: runs longer than 17 and wrap-around.
    std::vector<uint16_t> lost;
    for (uint16_t s = 65530; s != 30; ++s)
        lost.push_back(s);
    lost.push_back(29); // duplicate merged
    n = build_nack(buf, 5, 6, lost);
    REQUIRE(n == 12 + 4 * 3); // 36 numbers: 17 + 17 + 2
    auto fb = parse_feedback(*RtcpIterator(view(buf, n)).next());
    REQUIRE(fb);
    std::array<uint16_t, 64> got{};
    REQUIRE(nack_sequences(*fb, got) == 36);
    for (std::size_t i = 0; i < 36; ++i)
        CHECK(got[i] == static_cast<uint16_t>(65530 + i));
    CHECK(build_nack(buf, 5, 6, {}) == 0);

    // FIR with two entries.
    std::array<FirEntry, 2> firs{{{7, 1}, {8, 255}}};
    n = build_fir(buf, 3, firs);
    fb = parse_feedback(*RtcpIterator(view(buf, n)).next());
    REQUIRE(fb);
    CHECK(fb->media_ssrc == 0);
    REQUIRE(fir_count(*fb) == 2);
    CHECK(fir_entry(*fb, 1) == firs[1]);

    // REMB: exact for values with an 18-bit mantissa, rounded down otherwise.
    for (uint64_t rate :
         {0ull, 1ull, 262143ull, 262144ull, 2500000ull, 123456789ull, (1ull << 40) + 12345}) {
        const std::array<uint32_t, 2> ssrcs = {1, 2};
        n = build_remb(buf, 3, rate, ssrcs);
        REQUIRE(n == 12 + 8 + 8);
        auto remb = parse_remb(*parse_feedback(*RtcpIterator(view(buf, n)).next()));
        REQUIRE(remb);
        CHECK(remb->bitrate_bps <= rate);
        CHECK(remb->bitrate_bps * 1.0 >= rate * (1.0 - 1.0 / 131072));
        CHECK(remb->size() == 2);
        CHECK(remb->ssrc(1) == 2);
    }

    // Buffers too small return 0 at every size.
    for (std::size_t cap = 0; cap < 12; ++cap)
        CHECK(build_pli(std::span<uint8_t>(buf.data(), cap), 1, 2) == 0);

    // SDES CNAME of several lengths stays aligned and parses back.
    for (std::string_view name : {"", "a", "ab", "abc", "abcdefgh-1234"}) {
        n = build_sdes_cname(buf, 42, name);
        REQUIRE(n % 4 == 0);
        SdesIterator sit(*RtcpIterator(view(buf, n)).next());
        auto c = sit.next();
        REQUIRE(c);
        CHECK(c->ssrc == 42);
        CHECK(c->cname == name);
    }
}

TEST_CASE("rtp: rtcp LSR from an NTP timestamp") {
    CHECK(ntp_middle(0x83AA7E8012345678ull) == 0x7E801234u);
    CHECK(ntp_middle(0) == 0);
}
