#pragma once
// VP8 over RTP (RFC 7741): the payload descriptor of each packet, and the key frame header of
// a reassembled frame (RFC 6386 §9.1) for the picture size.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace rtc::record {

struct VideoSize {
    uint16_t width = 0;
    uint16_t height = 0;
};

struct Vp8Descriptor {
    bool start_of_partition = false;    // S
    uint8_t partition_id = 0;           // PID
    bool non_reference = false;         // N
    std::optional<uint16_t> picture_id; // 7 or 15 bits
    std::size_t size = 0;               // descriptor octets before the VP8 payload

    // RFC 7741 §4.2: S = 1 and PID = 0 is the first packet of a frame.
    bool starts_frame() const { return start_of_partition && partition_id == 0; }
};

// RFC 7741 §4.2. nullopt when truncated or when no payload octet follows the descriptor.
std::optional<Vp8Descriptor> parse_vp8_descriptor(std::span<const uint8_t> payload);

// RFC 6386 §9.1: frame tag bit 0 (P) is 0 for a key frame.
bool vp8_is_keyframe(std::span<const uint8_t> frame);

// RFC 6386 §9.1: a key frame's 3-octet tag, start code 9d 01 2a, then 14-bit width and height
// (little-endian, 2 scale bits each). nullopt when not a key frame or malformed.
std::optional<VideoSize> vp8_keyframe_size(std::span<const uint8_t> frame);

} // namespace rtc::record
