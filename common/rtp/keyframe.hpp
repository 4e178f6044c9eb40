#pragma once
// Keyframe detection from an RTP payload, so an SFU can start a subscriber or switch layers on a
// decodable frame.
#include <cstdint>
#include <span>
#include <string_view>

namespace rtc::rtp {

enum class Codec { Opus, Vp8, Vp9, H264, Av1, Other };

// From an SDP rtpmap encoding name ("VP8", "h264", ...), case-insensitive.
Codec codec_from_name(std::string_view encoding_name);

// True when this packet starts a keyframe (VP8 RFC 7741 §4.2/§4.3, VP9 RFC 9628 §4.2,
// H.264 RFC 6184 §5.6-5.8 IDR/SPS, AV1 RTP spec §4.4 N bit). Audio and Other: always false.
// Never reads past the payload.
bool is_keyframe(Codec codec, std::span<const uint8_t> payload);

} // namespace rtc::rtp
