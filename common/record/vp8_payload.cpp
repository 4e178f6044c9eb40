#include "record/vp8_payload.hpp"

namespace rtc::record {

std::optional<Vp8Descriptor> parse_vp8_descriptor(std::span<const uint8_t> p) {
    // RFC 7741 §4.2: |X|R|N|S|R| PID | then, with X: |I|L|T|K| RSV |, then the optional
    // PictureID (M bit: 15 bits), TL0PICIDX (L), and TID|Y|KEYIDX (T or K).
    if (p.empty())
        return std::nullopt;
    Vp8Descriptor d;
    const uint8_t b0 = p[0];
    d.non_reference = (b0 & 0x20) != 0;
    d.start_of_partition = (b0 & 0x10) != 0;
    d.partition_id = static_cast<uint8_t>(b0 & 0x07);
    std::size_t pos = 1;
    if (b0 & 0x80) {
        if (pos >= p.size())
            return std::nullopt;
        const uint8_t x = p[pos++];
        if (x & 0x80) { // I
            if (pos >= p.size())
                return std::nullopt;
            if (p[pos] & 0x80) { // M: 15-bit PictureID
                if (p.size() - pos < 2)
                    return std::nullopt;
                d.picture_id = static_cast<uint16_t>(((p[pos] & 0x7F) << 8) | p[pos + 1]);
                pos += 2;
            } else {
                d.picture_id = p[pos];
                pos += 1;
            }
        }
        if (x & 0x40) // L: TL0PICIDX
            ++pos;
        if (x & 0x30) // T or K: TID|Y|KEYIDX
            ++pos;
    }
    if (pos >= p.size())
        return std::nullopt;
    d.size = pos;
    return d;
}

bool vp8_is_keyframe(std::span<const uint8_t> frame) {
    return !frame.empty() && (frame[0] & 0x01) == 0;
}

std::optional<VideoSize> vp8_keyframe_size(std::span<const uint8_t> f) {
    if (f.size() < 10 || !vp8_is_keyframe(f) || f[3] != 0x9d || f[4] != 0x01 || f[5] != 0x2a)
        return std::nullopt;
    VideoSize s;
    s.width = static_cast<uint16_t>((f[6] | (f[7] << 8)) & 0x3FFF);
    s.height = static_cast<uint16_t>((f[8] | (f[9] << 8)) & 0x3FFF);
    if (s.width == 0 || s.height == 0)
        return std::nullopt;
    return s;
}

} // namespace rtc::record
