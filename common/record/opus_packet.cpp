#include "record/opus_packet.hpp"

namespace rtc::record {

uint32_t opus_packet_samples(std::span<const uint8_t> packet) {
    if (packet.empty())
        return 0;
    // RFC 6716 §3.1 Table 2: config = TOC >> 3 picks mode, bandwidth and frame size.
    const uint8_t toc = packet[0];
    const uint8_t config = static_cast<uint8_t>(toc >> 3);
    static constexpr uint32_t kSilk[4] = {480, 960, 1920, 2880}; // 10, 20, 40, 60 ms
    static constexpr uint32_t kCelt[4] = {120, 240, 480, 960};   // 2.5, 5, 10, 20 ms
    uint32_t frame = 0;
    if (config < 12)
        frame = kSilk[config & 3];
    else if (config < 16)
        frame = (config & 1) ? 960 : 480; // hybrid: 10 or 20 ms
    else
        frame = kCelt[config & 3];
    // RFC 6716 §3.2: c = 0 one frame, 1 and 2 two frames, 3 an arbitrary count (1..48).
    uint32_t count = 0;
    switch (toc & 3) {
    case 0:
        count = 1;
        break;
    case 1:
    case 2:
        count = 2;
        break;
    default:
        if (packet.size() < 2)
            return 0;
        count = packet[1] & 0x3F;
        break;
    }
    const uint32_t total = frame * count;
    if (total == 0 || total > kOpusMaxSamples) // §3.2.5: M must be >= 1, total <= 120 ms
        return 0;
    return total;
}

std::array<uint8_t, kOpusHeadSize> make_opus_head(uint8_t channels, uint16_t pre_skip,
                                                  uint32_t input_sample_rate) {
    std::array<uint8_t, kOpusHeadSize> h{'O', 'p', 'u', 's', 'H', 'e', 'a', 'd'};
    h[8] = 1; // version
    h[9] = channels;
    h[10] = static_cast<uint8_t>(pre_skip); // little-endian fields, RFC 7845 §5.1
    h[11] = static_cast<uint8_t>(pre_skip >> 8);
    for (int i = 0; i < 4; ++i)
        h[12 + i] = static_cast<uint8_t>(input_sample_rate >> (8 * i));
    h[16] = 0; // output gain (Q7.8 dB), 0
    h[17] = 0;
    h[18] = 0; // channel mapping family 0: mono or stereo, no mapping table
    return h;
}

std::array<uint8_t, kOpusFillerSize> opus_filler_packet(uint32_t frame_samples, uint8_t frames) {
    // Fullband CELT-only configs (RFC 6716 §3.1): 28 = 2.5 ms, 31 = 20 ms; c = 3.
    const uint8_t config = frame_samples == 960 ? 31 : 28;
    return {static_cast<uint8_t>((config << 3) | 0x03), static_cast<uint8_t>(frames & 0x3F)};
}

} // namespace rtc::record
