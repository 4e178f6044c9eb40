// Forwarding rewrite: new fixed-header fields, extension remapping (RFC 8285 §4.1-4.3) and the
// in-place setters.
#include "rtp/packet.hpp"
#include "rtp/rewrite.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

using namespace rtc::rtp;

namespace {

// One-byte extensions: id 1 = audio level (1 byte), id 3 = abs-send-time (3 bytes); payload 4.
const std::vector<uint8_t> kPub = {
    0x90, 0x6F, 0x00, 0x10, 0x00, 0x00, 0x10, 0x00, 0xDE, 0xAD, 0xBE, 0xEF, 0xBE, 0xDE,
    0x00, 0x02, 0x10, 0x85, 0x32, 0x01, 0x02, 0x03, 0x00, 0x00, 0xF1, 0xF2, 0xF3, 0xF4,
};

std::span<const uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

} // namespace

TEST_CASE("rtp: rewrite fixed header, copying the extension block unchanged") {
    auto in = RtpView::parse(kPub);
    REQUIRE(in);
    std::array<uint8_t, 1500> buf{};
    RewriteParams p;
    p.payload_type = 100;
    p.sequence = 7;
    p.timestamp = 0x01020304;
    p.ssrc = 0xCAFEBABE;
    p.marker = true;
    const std::size_t n = rewrite(*in, p, buf);
    REQUIRE(n == kPub.size());
    auto out = RtpView::parse(std::span<const uint8_t>(buf.data(), n));
    REQUIRE(out);
    CHECK(out->payload_type() == 100);
    CHECK(out->marker());
    CHECK(out->sequence() == 7);
    CHECK(out->timestamp() == 0x01020304);
    CHECK(out->ssrc() == 0xCAFEBABE);
    // Everything from the extension header on is byte-identical.
    CHECK(std::equal(kPub.begin() + 12, kPub.end(), buf.begin() + 12));

    // Marker kept when not overridden.
    p.marker.reset();
    REQUIRE(rewrite(*in, p, buf) == n);
    CHECK_FALSE(RtpView::parse(std::span<const uint8_t>(buf.data(), n))->marker());

    // Too small a buffer: 0, for every size below the packet's.
    for (std::size_t cap = 0; cap < n; ++cap)
        CHECK(rewrite(*in, p, std::span<uint8_t>(buf.data(), cap)) == 0);
}

TEST_CASE("rtp: rewrite with an extension plan: remap, drop, add sdes:mid (one-byte form)") {
    auto in = RtpView::parse(kPub);
    REQUIRE(in);
    ExtensionPlan plan;
    CHECK(plan.map_id(1, 5)); // audio level 1 -> 5
    CHECK_FALSE(plan.map_id(0, 5));
    // id 3 not mapped: dropped
    CHECK(plan.add_extra(9, bytes("a1"))); // sdes:mid, RFC 8843 §15
    RewriteParams p;
    p.payload_type = 111;
    p.sequence = 1;
    p.extensions = &plan;
    std::array<uint8_t, 1500> buf{};
    const std::size_t n = rewrite(*in, p, buf);
    // 12 + 4 + (2 + 3 -> 8) + 4 payload
    REQUIRE(n == 28);
    const std::vector<uint8_t> expected_ext = {0xBE, 0xDE, 0x00, 0x02, 0x50, 0x85,
                                               0x91, 'a',  '1',  0x00, 0x00, 0x00};
    CHECK(std::equal(expected_ext.begin(), expected_ext.end(), buf.begin() + 12));
    auto out = RtpView::parse(std::span<const uint8_t>(buf.data(), n));
    REQUIRE(out);
    CHECK(out->has_extension());
    CHECK(out->extension_form() == ExtensionForm::OneByte);
    REQUIRE(out->find_extension(5));
    CHECK((*out->find_extension(5))[0] == 0x85);
    CHECK_FALSE(out->find_extension(1));
    CHECK_FALSE(out->find_extension(3));
    REQUIRE(out->find_extension(9));
    CHECK(out->find_extension(9)->size() == 2);
    CHECK(out->payload().size() == 4);
    CHECK(out->payload()[3] == 0xF4);
}

TEST_CASE("rtp: rewrite switches to the two-byte form for ids above 14 or long values") {
    auto in = RtpView::parse(kPub);
    REQUIRE(in);
    ExtensionPlan plan;
    plan.map_id(3, 20); // id 20 needs the two-byte form
    RewriteParams p;
    p.extensions = &plan;
    std::array<uint8_t, 1500> buf{};
    std::size_t n = rewrite(*in, p, buf);
    REQUIRE(n == 12 + 4 + 8 + 4);
    auto out = RtpView::parse(std::span<const uint8_t>(buf.data(), n));
    REQUIRE(out);
    CHECK(out->extension_profile() == kTwoByteProfile);
    REQUIRE(out->find_extension(20));
    CHECK(out->find_extension(20)->size() == 3);

    // A 20-byte value with small ids also forces two-byte.
    ExtensionPlan plan2;
    std::array<uint8_t, 20> big{};
    big[19] = 0x42;
    CHECK(plan2.add_extra(4, big));
    p.extensions = &plan2;
    n = rewrite(*in, p, buf);
    REQUIRE(n == 12 + 4 + 24 + 4);
    out = RtpView::parse(std::span<const uint8_t>(buf.data(), n));
    REQUIRE(out);
    CHECK(out->extension_form() == ExtensionForm::TwoByte);
    CHECK((*out->find_extension(4))[19] == 0x42);

    // Empty plan: no extension block, no X bit.
    ExtensionPlan empty;
    p.extensions = &empty;
    n = rewrite(*in, p, buf);
    REQUIRE(n == 16);
    out = RtpView::parse(std::span<const uint8_t>(buf.data(), n));
    REQUIRE(out);
    CHECK_FALSE(out->has_extension());
    CHECK(out->payload().size() == 4);

    // Plan limits.
    ExtensionPlan full;
    std::array<uint8_t, 33> too_big{};
    CHECK_FALSE(full.add_extra(1, too_big));
    CHECK_FALSE(full.add_extra(0, bytes("x")));
    for (std::size_t i = 0; i < kMaxExtraExtensions; ++i)
        CHECK(full.add_extra(static_cast<uint8_t>(i + 1), bytes("x")));
    CHECK_FALSE(full.add_extra(9, bytes("x")));
}

TEST_CASE("rtp: rewrite drops padding unless asked, keeps CSRCs unless asked") {
    std::vector<uint8_t> pub = {0xA1, 96,   0,    1,    0, 0, 0, 1, 0, 0, 0, 2, // P=1, CC=1
                                0x0A, 0x0B, 0x0C, 0x0D,                         // CSRC
                                0x77, 0x00, 0x00, 0x03}; // payload + 3 padding
    auto in = RtpView::parse(pub);
    REQUIRE(in);
    std::array<uint8_t, 64> buf{};
    RewriteParams p;
    std::size_t n = rewrite(*in, p, buf);
    REQUIRE(n == 17);
    auto out = RtpView::parse(std::span<const uint8_t>(buf.data(), n));
    REQUIRE(out);
    CHECK_FALSE(out->has_padding());
    CHECK(out->csrc(0) == 0x0A0B0C0D);
    CHECK(out->payload().size() == 1);

    p.keep_padding = true;
    p.keep_csrcs = false;
    n = rewrite(*in, p, buf);
    REQUIRE(n == 16);
    out = RtpView::parse(std::span<const uint8_t>(buf.data(), n));
    REQUIRE(out);
    CHECK(out->has_padding());
    CHECK(out->padding_size() == 3);
    CHECK(out->csrc_count() == 0);
    CHECK(out->payload().size() == 1);
    CHECK(out->payload()[0] == 0x77);
}

TEST_CASE("rtp: in-place header setters") {
    auto pkt = kPub;
    CHECK(set_sequence(pkt, 0xBEEF));
    CHECK(set_timestamp(pkt, 42));
    CHECK(set_ssrc(pkt, 0x01020304));
    CHECK(set_payload_type(pkt, 0x7F));
    auto v = RtpView::parse(pkt);
    REQUIRE(v);
    CHECK(v->sequence() == 0xBEEF);
    CHECK(v->timestamp() == 42);
    CHECK(v->ssrc() == 0x01020304);
    CHECK(v->payload_type() == 0x7F);
    CHECK_FALSE(v->marker());
    CHECK(set_marker(pkt, true));
    CHECK(set_payload_type(pkt, 96));
    v = RtpView::parse(pkt);
    CHECK(v->marker());
    CHECK(v->payload_type() == 96);
    std::array<uint8_t, 11> small{};
    CHECK_FALSE(set_sequence(small, 1));
    CHECK_FALSE(set_timestamp(small, 1));
    CHECK_FALSE(set_ssrc(small, 1));
    CHECK_FALSE(set_payload_type(small, 1));
    CHECK_FALSE(set_marker(small, true));
}

TEST_CASE("rtp: rewrite stops copying extensions at a malformed element") {
    auto pub = kPub;
    pub[18] = 0x3F; // id 3 now claims 16 bytes: overruns the block
    auto in = RtpView::parse(pub);
    REQUIRE(in);
    ExtensionPlan plan;
    plan.map_id(1, 1);
    plan.map_id(3, 3);
    RewriteParams p;
    p.extensions = &plan;
    std::array<uint8_t, 64> buf{};
    const std::size_t n = rewrite(*in, p, buf);
    REQUIRE(n == 12 + 4 + 4 + 4);
    auto out = RtpView::parse(std::span<const uint8_t>(buf.data(), n));
    REQUIRE(out);
    CHECK(out->find_extension(1));
    CHECK_FALSE(out->find_extension(3));
    CHECK(out->payload().size() == 4);
}
