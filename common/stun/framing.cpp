#include "stun/framing.hpp"

#include "util/bytes.hpp"

namespace rtc::stun {

std::optional<std::size_t> stream_frame_length(std::span<const uint8_t> buffered,
                                               std::size_t max_size) {
    if (buffered.empty())
        return std::nullopt;
    std::size_t total = 0;
    switch (buffered[0] & 0xC0) {
    case 0x00: // STUN, RFC 8489 §5
        if (buffered.size() < kHeaderSize)
            return std::nullopt;
        if (util::load_u32(buffered.data() + 4) != kMagicCookie)
            return kInvalidFrame;
        total = util::load_u16(buffered.data() + 2);
        if (total % 4 != 0)
            return kInvalidFrame;
        total += kHeaderSize;
        break;
    case 0x40: // ChannelData, RFC 8656 §12.4 (channels 0x4000-0x7FFF, see ChannelNumber)
        if (buffered.size() < kChannelDataHeaderSize)
            return std::nullopt;
        total = kChannelDataHeaderSize + ((util::load_u16(buffered.data() + 2) + 3u) & ~3u);
        break;
    default:
        return kInvalidFrame;
    }
    if (total > max_size)
        return kInvalidFrame;
    return total;
}

} // namespace rtc::stun
