// RTP demux (RFC 7983 §7, RFC 5761 §4), the packet view (RFC 3550 §5.1) and header extensions
// (RFC 8285 §4.2/§4.3), including malformed packets.
#include "rtp/demux.hpp"
#include "rtp/packet.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using namespace rtc::rtp;

namespace {

// V=2, X=1, CC=1, M=1 PT=96, seq 0x1234, ts 0xAABBCCDD, SSRC 0x11223344, CSRC 0x55667788,
// one-byte extension block: id 1 (1 byte 0x7F), id 3 (2 bytes "ab"), one padding byte,
// then a 3-byte payload.
const std::vector<uint8_t> kOneByte = {
    0x91, 0xE0, 0x12, 0x34, 0xAA, 0xBB, 0xCC, 0xDD, 0x11, 0x22, 0x33, 0x44, // fixed
    0x55, 0x66, 0x77, 0x88,                                                 // CSRC
    0xBE, 0xDE, 0x00, 0x02,                                                 // profile, 2 words
    0x10, 0x7F, 0x31, 'a',  'b',  0x00, 0x00, 0x00,                         // elements + pad
    0x01, 0x02, 0x03,                                                       // payload
};

} // namespace

TEST_CASE("rtp: classify by first byte (RFC 7983) and RTCP type range (RFC 5761)") {
    std::vector<uint8_t> p(20, 0);
    p[0] = 0x00;
    CHECK(classify(p) == PacketKind::Stun);
    p[0] = 0x03;
    CHECK(classify(p) == PacketKind::Stun);
    p[0] = 22; // DTLS handshake
    CHECK(classify(p) == PacketKind::Dtls);
    p[0] = 63;
    CHECK(classify(p) == PacketKind::Dtls);
    p[0] = 0x80;
    p[1] = 96;
    CHECK(classify(p) == PacketKind::Rtp);
    p[1] = 0x80 | 111; // marker + PT 111
    CHECK(classify(p) == PacketKind::Rtp);
    p[1] = 200; // SR
    CHECK(classify(p) == PacketKind::Rtcp);
    p[1] = 206; // PSFB
    CHECK(classify(p) == PacketKind::Rtcp);
    p[1] = 0x80 | 72; // marker + PT 72 == 200: RTCP by RFC 5761 §4
    CHECK(classify(p) == PacketKind::Rtcp);
    p[1] = 224;
    CHECK(classify(p) == PacketKind::Rtp);
    p[0] = 10;
    CHECK(classify(p) == PacketKind::Unknown);
    p[0] = 70; // TURN channel range: not ours
    CHECK(classify(p) == PacketKind::Unknown);
    p[0] = 0xC0;
    CHECK(classify(p) == PacketKind::Unknown);
    CHECK(classify({}) == PacketKind::Unknown);
    const std::vector<uint8_t> short_rtp = {0x80, 96, 0, 1, 0, 0};
    CHECK(classify(short_rtp) == PacketKind::Unknown);
    const std::vector<uint8_t> rtcp4 = {0x80, 203, 0, 0};
    CHECK(classify(rtcp4) == PacketKind::Rtcp);
}

TEST_CASE("rtp: parse fixed header, CSRC, one-byte extensions and payload") {
    auto v = RtpView::parse(kOneByte);
    REQUIRE(v);
    CHECK(v->version() == 2);
    CHECK(v->marker());
    CHECK(v->payload_type() == 96);
    CHECK(v->sequence() == 0x1234);
    CHECK(v->timestamp() == 0xAABBCCDD);
    CHECK(v->ssrc() == 0x11223344);
    CHECK(v->csrc_count() == 1);
    CHECK(v->csrc(0) == 0x55667788);
    CHECK(v->csrc(1) == 0);
    CHECK(v->header_size() == 28);
    CHECK(v->payload().size() == 3);
    CHECK(v->payload()[0] == 0x01);
    CHECK(v->padding_size() == 0);
    CHECK(v->extension_profile() == 0xBEDE);
    CHECK(v->extension_data().size() == 8);
    CHECK(v->extension_form() == ExtensionForm::OneByte);

    auto it = v->extensions();
    auto e1 = it.next();
    REQUIRE(e1);
    CHECK(e1->id == 1);
    REQUIRE(e1->value.size() == 1);
    CHECK(e1->value[0] == 0x7F);
    auto e3 = it.next();
    REQUIRE(e3);
    CHECK(e3->id == 3);
    CHECK(e3->value.size() == 2);
    CHECK_FALSE(it.next());
    CHECK_FALSE(it.malformed());

    auto f = v->find_extension(3);
    REQUIRE(f);
    CHECK((*f)[1] == 'b');
    CHECK_FALSE(v->find_extension(2));
    CHECK_FALSE(v->find_extension(0));
}

TEST_CASE("rtp: two-byte extensions (RFC 8285 §4.3) with zero-length and long values") {
    std::vector<uint8_t> p = {0x90, 96, 0,   1,   0,    0,    0,    1,
                              0,    0,  0,   2,   0x10, 0x00, 0x00, 0x02, // profile 0x1000, 2 words
                              20,   0,                                    // id 20, empty
                              0,                                          // padding
                              5,    3,  'x', 'y', 'z'};
    auto v = RtpView::parse(p);
    REQUIRE(v);
    CHECK(v->extension_form() == ExtensionForm::TwoByte);
    CHECK(v->payload().empty());
    auto e20 = v->find_extension(20);
    REQUIRE(e20);
    CHECK(e20->empty());
    auto e5 = v->find_extension(5);
    REQUIRE(e5);
    CHECK(e5->size() == 3);
    CHECK((*e5)[2] == 'z');

    // Profile with app bits 0x100F is two-byte too; 0x1234 is some other profile.
    p[13] = 0x0F;
    CHECK(RtpView::parse(p)->extension_form() == ExtensionForm::TwoByte);
    p[12] = 0x12;
    p[13] = 0x34;
    auto other = RtpView::parse(p);
    REQUIRE(other);
    CHECK(other->extension_form() == ExtensionForm::Other);
    CHECK_FALSE(other->extensions().next());
}

TEST_CASE("rtp: padding (RFC 3550 §5.1 P bit)") {
    std::vector<uint8_t> p = {0xA0, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xAA, 0xBB, 0, 0, 3};
    auto v = RtpView::parse(p);
    REQUIRE(v);
    CHECK(v->has_padding());
    CHECK(v->padding_size() == 3);
    REQUIRE(v->payload().size() == 2);
    CHECK(v->payload()[1] == 0xBB);

    p.back() = 5; // padding covering the whole payload is allowed
    REQUIRE(RtpView::parse(p));
    CHECK(RtpView::parse(p)->payload().empty());
    p.back() = 6; // larger than what follows the header
    CHECK_FALSE(RtpView::parse(p));
    p.back() = 0; // zero padding count is invalid
    CHECK_FALSE(RtpView::parse(p));
    p.back() = 200;
    CHECK_FALSE(RtpView::parse(p));
}

TEST_CASE("rtp: malformed packets are rejected without reading out of bounds") {
    // Truncated fixed header.
    for (std::size_t n = 0; n < kFixedHeaderSize; ++n) {
        std::vector<uint8_t> p(kOneByte.begin(), kOneByte.begin() + static_cast<long>(n));
        CHECK_FALSE(RtpView::parse(p));
    }
    // Every truncation of the packet with CSRC + extension before the payload must fail.
    for (std::size_t n = kFixedHeaderSize; n < 28; ++n) {
        std::vector<uint8_t> p(kOneByte.begin(), kOneByte.begin() + static_cast<long>(n));
        CHECK_FALSE(RtpView::parse(p));
    }
    // Version 1.
    auto p = kOneByte;
    p[0] = 0x51;
    CHECK_FALSE(RtpView::parse(p));
    // CSRC count beyond the packet.
    p = kOneByte;
    p[0] = 0x9F;
    CHECK_FALSE(RtpView::parse(p));
    // Extension length beyond the packet.
    p = kOneByte;
    p[19] = 0x10;
    CHECK_FALSE(RtpView::parse(p));
    // Element overrunning the block: id 3 claims 16 bytes.
    p = kOneByte;
    p[22] = 0x3F;
    auto v = RtpView::parse(p);
    REQUIRE(v);
    auto it = v->extensions();
    CHECK(it.next());
    CHECK_FALSE(it.next());
    CHECK(it.malformed());
    CHECK_FALSE(v->find_extension(3));
    // ID 15 stops processing (RFC 8285 §4.2).
    p = kOneByte;
    p[20] = 0xF0;
    v = RtpView::parse(p);
    REQUIRE(v);
    it = v->extensions();
    CHECK_FALSE(it.next());
    CHECK_FALSE(it.malformed());
    // Two-byte element whose header is cut off.
    std::vector<uint8_t> t = {0x90, 96, 0,    1,    0,    0,    0, 1, 0, 0,
                              0,    2,  0x10, 0x00, 0x00, 0x01, 0, 0, 0, 7};
    v = RtpView::parse(t);
    REQUIRE(v);
    it = v->extensions();
    CHECK_FALSE(it.next());
    CHECK(it.malformed());
}
