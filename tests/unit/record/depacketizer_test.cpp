// VP8 (RFC 7741 §4.2) and VP9 (RFC 9628 §4.2) payload descriptors, key frame headers (RFC 6386
// §9.1, VP9 bitstream §6.2), and frame reassembly by sequence number with loss.
#include "record/frame_assembler.hpp"
#include "record/vp8_payload.hpp"
#include "record/vp9_payload.hpp"
#include "record_test_util.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace rtc::record;

using Bytes = std::vector<uint8_t>;

TEST_CASE("record: VP8 payload descriptor") {
    // No X: S=1, PID 0.
    auto d = parse_vp8_descriptor(Bytes{0x10, 0xAA});
    REQUIRE(d);
    CHECK(d->starts_frame());
    CHECK(d->size == 1);
    CHECK_FALSE(d->picture_id);
    // X, I with a 15-bit PictureID, L, T: 5 octets.
    d = parse_vp8_descriptor(Bytes{0x90, 0xE0, 0x81, 0x23, 0x05, 0x40, 0xAA});
    REQUIRE(d);
    CHECK(d->size == 6);
    CHECK(d->picture_id == 0x0123);
    // 7-bit PictureID, N bit, partition 1 (not a frame start).
    d = parse_vp8_descriptor(Bytes{0xA1, 0x80, 0x12, 0xAA});
    REQUIRE(d);
    CHECK(d->non_reference);
    CHECK(d->partition_id == 1);
    CHECK_FALSE(d->starts_frame());
    CHECK(d->picture_id == 0x12);
    CHECK(d->size == 3);
    // Continuation: S=0.
    d = parse_vp8_descriptor(Bytes{0x80, 0x80, 0x81, 0x23, 0xAA});
    REQUIRE(d);
    CHECK_FALSE(d->starts_frame());
    // Truncated or empty payloads.
    CHECK_FALSE(parse_vp8_descriptor(Bytes{}));
    CHECK_FALSE(parse_vp8_descriptor(Bytes{0x10}));
    CHECK_FALSE(parse_vp8_descriptor(Bytes{0x90}));
    CHECK_FALSE(parse_vp8_descriptor(Bytes{0x90, 0x80}));
    CHECK_FALSE(parse_vp8_descriptor(Bytes{0x90, 0x80, 0x81}));
    CHECK_FALSE(parse_vp8_descriptor(Bytes{0x90, 0xE0, 0x81, 0x23, 0x05, 0x40}));
}

TEST_CASE("record: VP8 key frame header and size") {
    const auto key = record_test::fake_vp8_frame(true, 40, 1280, 720);
    CHECK(vp8_is_keyframe(key));
    const auto size = vp8_keyframe_size(key);
    REQUIRE(size);
    CHECK(size->width == 1280);
    CHECK(size->height == 720);
    // Scale bits (top 2) are not part of the size.
    auto scaled = key;
    scaled[7] |= 0xC0;
    CHECK(vp8_keyframe_size(scaled)->width == 1280);
    const auto inter = record_test::fake_vp8_frame(false, 40);
    CHECK_FALSE(vp8_is_keyframe(inter));
    CHECK_FALSE(vp8_keyframe_size(inter));
    auto bad = key;
    bad[4] = 0x00; // broken start code
    CHECK_FALSE(vp8_keyframe_size(bad));
    CHECK_FALSE(vp8_keyframe_size(Bytes(key.begin(), key.begin() + 9)));
    CHECK_FALSE(vp8_is_keyframe(Bytes{}));
}

TEST_CASE("record: VP9 payload descriptor") {
    // I (7-bit), B, E, non-flexible without L.
    auto d = parse_vp9_descriptor(Bytes{0x8C, 0x05, 0xAA});
    REQUIRE(d);
    CHECK(d->begins_frame);
    CHECK(d->ends_frame);
    CHECK(d->picture_id == 5);
    CHECK(d->size == 2);
    // I (15-bit), P, L with TID 2 / SID 1, non-flexible: TL0PICIDX follows.
    d = parse_vp9_descriptor(Bytes{0xE8, 0x81, 0x02, 0x42, 0x07, 0xAA});
    REQUIRE(d);
    CHECK(d->inter_predicted);
    CHECK(d->temporal_id == 2);
    CHECK(d->spatial_id == 1);
    CHECK(d->size == 5);
    // Flexible with P: two P_DIFF octets (N set on the first).
    d = parse_vp9_descriptor(Bytes{0xD8, 0x05, 0x03, 0x04, 0xAA});
    REQUIRE(d);
    CHECK(d->flexible);
    CHECK(d->size == 4);
    // Four P_DIFFs is one too many.
    CHECK_FALSE(parse_vp9_descriptor(Bytes{0xD8, 0x05, 0x03, 0x03, 0x03, 0x03, 0xAA}));
    // V: scalability structure, N_S = 0, Y with 640x360, G with one group of one reference.
    d = parse_vp9_descriptor(
        Bytes{0x8A, 0x05, 0x18, 0x02, 0x80, 0x01, 0x68, 0x01, 0x04, 0x07, 0xAA});
    REQUIRE(d);
    REQUIRE(d->ss_size);
    CHECK(d->ss_size->width == 640);
    CHECK(d->ss_size->height == 360);
    CHECK(d->size == 10);
    // Truncations.
    CHECK_FALSE(parse_vp9_descriptor(Bytes{}));
    CHECK_FALSE(parse_vp9_descriptor(Bytes{0x8C}));
    CHECK_FALSE(parse_vp9_descriptor(Bytes{0x8C, 0x05}));
    CHECK_FALSE(parse_vp9_descriptor(Bytes{0xA8, 0x05, 0x00}));
    CHECK_FALSE(parse_vp9_descriptor(Bytes{0x8A, 0x05, 0x18, 0x02, 0x80, 0x01}));
    CHECK_FALSE(parse_vp9_descriptor(Bytes{0x8A, 0x05, 0x08, 0x02, 0x04}));
}

TEST_CASE("record: VP9 key frame uncompressed header") {
    // frame_marker 10, profile 0, show_existing 0, frame_type 0 (key), show_frame 1,
    // error_resilient 0 -> 1000 0010 = 0x82; sync code 49 83 42; color_space 000 (BT.601),
    // color_range 0; width-1 = 319, height-1 = 239 (16 bits each).
    // Bits after the sync code: ccc r wwwwwwwwwwwwwwww hhhhhhhhhhhhhhhh
    // 0000 0000|0001 0011|1111 0000|0000 1110|1111...
    const Bytes key{0x82, 0x49, 0x83, 0x42, 0x00, 0x13, 0xF0, 0x0E, 0xF0, 0x00};
    CHECK(vp9_is_keyframe(key));
    const auto size = vp9_keyframe_size(key);
    REQUIRE(size);
    CHECK(size->width == 320);
    CHECK(size->height == 240);
    // frame_type 1: inter frame.
    const Bytes inter{0x86, 0x00};
    CHECK_FALSE(vp9_is_keyframe(inter));
    CHECK_FALSE(vp9_keyframe_size(inter));
    // show_existing_frame.
    CHECK_FALSE(vp9_is_keyframe(Bytes{0x88}));
    // Bad frame marker, bad sync code, truncated.
    CHECK_FALSE(vp9_is_keyframe(Bytes{0x02}));
    CHECK_FALSE(vp9_keyframe_size(Bytes{0x82, 0x49, 0x83, 0x43, 0x00, 0x13, 0xF0, 0x0E, 0xF0}));
    CHECK_FALSE(vp9_keyframe_size(Bytes{0x82, 0x49, 0x83, 0x42, 0x00, 0x13}));
    CHECK_FALSE(vp9_is_keyframe(Bytes{}));
}

TEST_CASE("record: frames are reassembled from consecutive packets") {
    FrameAssembler a(1000);
    const Bytes p1{1, 2}, p2{3}, p3{4, 5};
    CHECK_FALSE(a.push(10, 900, {true, false, false, p1}));
    CHECK_FALSE(a.push(11, 900, {false, false, false, p2}));
    auto f = a.push(12, 900, {false, true, false, p3});
    REQUIRE(f);
    CHECK(Bytes(f->data.begin(), f->data.end()) == Bytes{1, 2, 3, 4, 5});
    CHECK(f->rtp_timestamp == 900);
    CHECK_FALSE(f->follows_loss);
    // A one-packet frame across the sequence number wrap.
    FrameAssembler w(1000);
    CHECK(w.push(65535, 1, {true, true, false, p1}));
    f = w.push(0, 2, {true, true, false, p2});
    REQUIRE(f);
    CHECK_FALSE(f->follows_loss);
    // Duplicates are ignored.
    CHECK_FALSE(w.push(0, 2, {true, true, false, p2}));
    CHECK(w.stats().stale == 1);
}

TEST_CASE("record: a frame with a missing packet is dropped and the loss reported") {
    FrameAssembler a(1000);
    const Bytes p{7};
    CHECK_FALSE(a.push(1, 100, {true, false, false, p}));
    // Packet 2 lost.
    CHECK_FALSE(a.push(3, 100, {false, true, false, p}));
    CHECK(a.stats().incomplete == 1);
    // The next frame is complete, but follows the loss.
    auto f = a.push(4, 200, {true, true, false, p});
    REQUIRE(f);
    CHECK(f->follows_loss);
    f = a.push(5, 300, {true, true, false, p});
    REQUIRE(f);
    CHECK_FALSE(f->follows_loss);
    // A whole frame lost between two complete ones.
    f = a.push(8, 500, {true, true, false, p});
    REQUIRE(f);
    CHECK(f->follows_loss);
    // A frame that never ends: the next start abandons it.
    CHECK_FALSE(a.push(9, 600, {true, false, false, p}));
    f = a.push(10, 700, {true, true, false, p});
    REQUIRE(f);
    CHECK(f->follows_loss);
    // Timestamp change inside a frame.
    CHECK_FALSE(a.push(11, 800, {true, false, false, p}));
    CHECK_FALSE(a.push(12, 801, {false, true, false, p}));
    // Discarded packets keep continuity.
    CHECK_FALSE(a.push(13, 900, {false, false, true, {}}));
    f = a.push(14, 1000, {true, true, false, p});
    REQUIRE(f);
    CHECK(f->follows_loss); // from the broken frame at 11-12, not from 13
    f = a.push(16, 1100, {true, true, false, p});
    REQUIRE(f);
    CHECK(f->follows_loss);
    CHECK_FALSE(a.push(17, 1200, {false, false, true, {}}));
    f = a.push(18, 1300, {true, true, false, p});
    REQUIRE(f);
    CHECK_FALSE(f->follows_loss);
}

TEST_CASE("record: frames above the size cap are dropped") {
    FrameAssembler a(8);
    const Bytes five(5, 1);
    CHECK_FALSE(a.push(1, 1, {true, false, false, five}));
    CHECK_FALSE(a.push(2, 1, {false, true, false, five}));
    CHECK(a.stats().oversized == 1);
    auto f = a.push(3, 2, {true, true, false, five});
    REQUIRE(f);
    CHECK(f->follows_loss);
    CHECK(f->data.size() == 5);
}
