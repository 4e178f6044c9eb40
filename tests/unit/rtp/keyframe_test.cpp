// Keyframe detection: VP8 (RFC 7741 §4.2/§4.3), VP9 (RFC 9628 §4.2), H.264 (RFC 6184 §5.6-5.8),
// AV1 (AV1 RTP spec §4.4); payloads written by hand from those layouts.
#include "rtp/keyframe.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using namespace rtc::rtp;

TEST_CASE("rtp: codec names") {
    CHECK(codec_from_name("VP8") == Codec::Vp8);
    CHECK(codec_from_name("vp9") == Codec::Vp9);
    CHECK(codec_from_name("H264") == Codec::H264);
    CHECK(codec_from_name("AV1") == Codec::Av1);
    CHECK(codec_from_name("opus") == Codec::Opus);
    CHECK(codec_from_name("PCMU") == Codec::Other);
    CHECK(codec_from_name("") == Codec::Other);
}

TEST_CASE("rtp: VP8 keyframes") {
    // S=1 PID=0, no X; payload header with P=0 (key frame).
    CHECK(is_keyframe(Codec::Vp8, std::vector<uint8_t>{0x10, 0x50, 0x01, 0x00}));
    // Same with P=1: inter frame.
    CHECK_FALSE(is_keyframe(Codec::Vp8, std::vector<uint8_t>{0x10, 0x51, 0x01, 0x00}));
    // S=0: continuation.
    CHECK_FALSE(is_keyframe(Codec::Vp8, std::vector<uint8_t>{0x00, 0x50}));
    // Partition 1.
    CHECK_FALSE(is_keyframe(Codec::Vp8, std::vector<uint8_t>{0x11, 0x50}));
    // X with I (15-bit picture id), L, T: descriptor 5 bytes, then P=0.
    CHECK(is_keyframe(Codec::Vp8, std::vector<uint8_t>{0x90, 0xE0, 0x81, 0x23, 0x05, 0x40, 0x9C}));
    // X with I (7-bit) only, then P=1.
    CHECK_FALSE(is_keyframe(Codec::Vp8, std::vector<uint8_t>{0x90, 0x80, 0x12, 0x9D}));
    // Truncated descriptors.
    CHECK_FALSE(is_keyframe(Codec::Vp8, std::vector<uint8_t>{0x90}));
    CHECK_FALSE(is_keyframe(Codec::Vp8, std::vector<uint8_t>{0x90, 0x80}));
    CHECK_FALSE(is_keyframe(Codec::Vp8, std::vector<uint8_t>{0x90, 0xE0, 0x81, 0x23, 0x05}));
    CHECK_FALSE(is_keyframe(Codec::Vp8, std::vector<uint8_t>{0x10}));
    CHECK_FALSE(is_keyframe(Codec::Vp8, {}));
}

TEST_CASE("rtp: VP9 keyframes") {
    // I=1 (7-bit id), P=0, B=1.
    CHECK(is_keyframe(Codec::Vp9, std::vector<uint8_t>{0x88, 0x05, 0x00}));
    // P=1.
    CHECK_FALSE(is_keyframe(Codec::Vp9, std::vector<uint8_t>{0xC8, 0x05}));
    // B=0.
    CHECK_FALSE(is_keyframe(Codec::Vp9, std::vector<uint8_t>{0x80, 0x05}));
    // L=1 with SID 0 / SID 1 (15-bit picture id).
    CHECK(is_keyframe(Codec::Vp9, std::vector<uint8_t>{0xA8, 0x80, 0x01, 0x00}));
    CHECK_FALSE(is_keyframe(Codec::Vp9, std::vector<uint8_t>{0xA8, 0x80, 0x01, 0x02}));
    CHECK_FALSE(is_keyframe(Codec::Vp9, std::vector<uint8_t>{0xA8, 0x80, 0x01}));
    CHECK_FALSE(is_keyframe(Codec::Vp9, std::vector<uint8_t>{0x88}));
}

TEST_CASE("rtp: H.264 keyframes in single NAL, STAP-A and FU-A") {
    CHECK(is_keyframe(Codec::H264, std::vector<uint8_t>{0x65, 0x88}));       // IDR
    CHECK(is_keyframe(Codec::H264, std::vector<uint8_t>{0x67, 0x42}));       // SPS
    CHECK_FALSE(is_keyframe(Codec::H264, std::vector<uint8_t>{0x41, 0x9A})); // non-IDR slice
    CHECK_FALSE(is_keyframe(Codec::H264, std::vector<uint8_t>{0x68}));       // PPS alone
    // STAP-A: PPS (2 bytes) then SPS (3 bytes).
    CHECK(is_keyframe(Codec::H264, std::vector<uint8_t>{0x78, 0x00, 0x02, 0x68, 0xCE, 0x00, 0x03,
                                                        0x67, 0x42, 0x00}));
    // STAP-A holding only a non-IDR slice.
    CHECK_FALSE(is_keyframe(Codec::H264, std::vector<uint8_t>{0x78, 0x00, 0x02, 0x41, 0x9A}));
    // STAP-A whose size overruns.
    CHECK_FALSE(is_keyframe(Codec::H264, std::vector<uint8_t>{0x78, 0x00, 0x09, 0x67, 0x42}));
    // FU-A start of an IDR, and a middle fragment.
    CHECK(is_keyframe(Codec::H264, std::vector<uint8_t>{0x7C, 0x85, 0x88}));
    CHECK_FALSE(is_keyframe(Codec::H264, std::vector<uint8_t>{0x7C, 0x05, 0x88}));
    CHECK_FALSE(is_keyframe(Codec::H264, std::vector<uint8_t>{0x7C}));
    CHECK_FALSE(is_keyframe(Codec::H264, {}));
}

TEST_CASE("rtp: AV1 N bit and audio") {
    CHECK(is_keyframe(Codec::Av1, std::vector<uint8_t>{0x18, 0x0A}));
    CHECK_FALSE(is_keyframe(Codec::Av1, std::vector<uint8_t>{0x10, 0x0A}));
    CHECK_FALSE(is_keyframe(Codec::Av1, std::vector<uint8_t>{0x98})); // continuation (Z)
    CHECK_FALSE(is_keyframe(Codec::Opus, std::vector<uint8_t>{0x78, 0x00}));
    CHECK_FALSE(is_keyframe(Codec::Other, std::vector<uint8_t>{0x65}));
}
