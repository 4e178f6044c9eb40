#pragma once
// Message boundaries on byte streams (TCP, TLS), where STUN messages and TURN ChannelData
// messages follow each other without any other framing (RFC 8489 §6.2.2, RFC 8656 §12.5).
#include "stun/message.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace rtc::stun {

inline constexpr std::size_t kChannelDataHeaderSize = 4;

// RFC 8656 §12: ChannelData starts with the channel number, 0x4000-0x7FFF, so its first two
// bits are 01; STUN messages start with 00.
inline bool is_channel_data(std::span<const uint8_t> bytes) {
    return !bytes.empty() && (bytes[0] & 0xC0) == 0x40;
}

// Returned by stream_frame_length for bytes that cannot start a frame: close the stream.
inline constexpr std::size_t kInvalidFrame = 0;

// The total number of bytes the frame at the front of `buffered` occupies on the stream:
// a STUN message (20-byte header + length), or ChannelData (4-byte header + length, padded to a
// multiple of 4 over streams, RFC 8656 §12.5). nullopt while fewer bytes than the header are
// buffered (20 for STUN, 4 for ChannelData). kInvalidFrame when the bytes are neither: other
// leading bits, a STUN header without the magic cookie or with a length that is not a multiple
// of 4, or a frame larger than `max_size`.
std::optional<std::size_t> stream_frame_length(std::span<const uint8_t> buffered,
                                               std::size_t max_size = kMaxMessageSize);

} // namespace rtc::stun
