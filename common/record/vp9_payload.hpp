#pragma once
// VP9 over RTP (RFC 9628): the payload descriptor of each packet, and the key frame's
// uncompressed header (VP9 bitstream specification §6.2) for the picture size.
#include "record/vp8_payload.hpp" // VideoSize

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace rtc::record {

struct Vp9Descriptor {
    bool inter_predicted = false;       // P
    bool flexible = false;              // F
    bool begins_frame = false;          // B: first packet of a (layer) frame
    bool ends_frame = false;            // E: last packet of a (layer) frame
    bool not_reference = false;         // Z
    std::optional<uint16_t> picture_id; // 7 or 15 bits
    uint8_t temporal_id = 0;            // with L
    uint8_t spatial_id = 0;             // with L
    std::optional<VideoSize> ss_size;   // scalability structure (V, Y): spatial layer 0's size
    std::size_t size = 0;               // descriptor octets before the VP9 payload
};

// RFC 9628 §4.2 (and §4.2.1 for the scalability structure). nullopt when truncated or when no
// payload octet follows the descriptor.
std::optional<Vp9Descriptor> parse_vp9_descriptor(std::span<const uint8_t> payload);

// VP9 bitstream §6.2: frame_marker 2, a shown-or-not new frame with frame_type KEY_FRAME.
bool vp9_is_keyframe(std::span<const uint8_t> frame);

// VP9 bitstream §6.2: the size after the key frame's sync code and color_config.
std::optional<VideoSize> vp9_keyframe_size(std::span<const uint8_t> frame);

} // namespace rtc::record
