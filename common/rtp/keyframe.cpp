#include "rtp/keyframe.hpp"

#include <cctype>

namespace rtc::rtp {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

bool vp8_keyframe(std::span<const uint8_t> p) {
    // RFC 7741 §4.2 payload descriptor: X R N S R PID(3).
    if (p.empty())
        return false;
    const uint8_t b0 = p[0];
    if (!(b0 & 0x10) || (b0 & 0x07) != 0) // S=1 and partition 0: start of the frame
        return false;
    std::size_t pos = 1;
    if (b0 & 0x80) { // X: I L T K RSV
        if (pos >= p.size())
            return false;
        const uint8_t x = p[pos++];
        if (x & 0x80) { // I: PictureID, 7 or 15 bits (M bit)
            if (pos >= p.size())
                return false;
            pos += (p[pos] & 0x80) ? 2 : 1;
        }
        if (x & 0x40) // L: TL0PICIDX
            ++pos;
        if (x & 0x30) // T or K: TID/Y/KEYIDX
            ++pos;
    }
    // RFC 7741 §4.3 payload header: Size0(3) H VER(3) P; P == 0 is a key frame.
    return pos < p.size() && (p[pos] & 0x01) == 0;
}

bool vp9_keyframe(std::span<const uint8_t> p) {
    // RFC 9628 §4.2: I P L F B E V Z.
    if (p.empty())
        return false;
    const uint8_t b0 = p[0];
    if ((b0 & 0x40) || !(b0 & 0x08)) // P (inter-picture predicted) clear, B (frame start) set
        return false;
    std::size_t pos = 1;
    if (b0 & 0x80) { // I: picture ID, 7 or 15 bits
        if (pos >= p.size())
            return false;
        pos += (p[pos] & 0x80) ? 2 : 1;
    }
    if (b0 & 0x20) { // L: TID(3) U SID(3) D; only the base spatial layer starts a keyframe
        if (pos >= p.size())
            return false;
        if (((p[pos] >> 1) & 0x07) != 0)
            return false;
    }
    return true;
}

bool h264_nal_is_key(uint8_t nal_type) {
    return nal_type == 5 || nal_type == 7; // IDR slice or SPS (RFC 6184 §1.3, H.264 Table 7-1)
}

bool h264_keyframe(std::span<const uint8_t> p) {
    if (p.empty())
        return false;
    const uint8_t type = p[0] & 0x1F;
    if (type >= 1 && type <= 23) // single NAL unit packet, RFC 6184 §5.6
        return h264_nal_is_key(type);
    if (type == 24) { // STAP-A, RFC 6184 §5.7.1: (16-bit size, NAL unit)*
        std::size_t pos = 1;
        while (p.size() - pos >= 2) {
            const std::size_t size = (std::size_t{p[pos]} << 8) | p[pos + 1];
            pos += 2;
            if (size == 0 || size > p.size() - pos)
                return false;
            if (h264_nal_is_key(p[pos] & 0x1F))
                return true;
            pos += size;
        }
        return false;
    }
    if (type == 28) { // FU-A, RFC 6184 §5.8: FU header S E R Type
        return p.size() >= 2 && (p[1] & 0x80) && h264_nal_is_key(p[1] & 0x1F);
    }
    return false;
}

bool av1_keyframe(std::span<const uint8_t> p) {
    // AV1 RTP spec §4.4 aggregation header Z Y W(2) N: N marks the first packet of a coded video
    // sequence, which starts with a key frame. Best effort.
    return !p.empty() && (p[0] & 0x08) != 0 && (p[0] & 0x80) == 0;
}

} // namespace

Codec codec_from_name(std::string_view name) {
    if (iequals(name, "opus"))
        return Codec::Opus;
    if (iequals(name, "vp8"))
        return Codec::Vp8;
    if (iequals(name, "vp9"))
        return Codec::Vp9;
    if (iequals(name, "h264"))
        return Codec::H264;
    if (iequals(name, "av1"))
        return Codec::Av1;
    return Codec::Other;
}

bool is_keyframe(Codec codec, std::span<const uint8_t> payload) {
    switch (codec) {
    case Codec::Vp8:
        return vp8_keyframe(payload);
    case Codec::Vp9:
        return vp9_keyframe(payload);
    case Codec::H264:
        return h264_keyframe(payload);
    case Codec::Av1:
        return av1_keyframe(payload);
    case Codec::Opus:
    case Codec::Other:
        return false;
    }
    return false;
}

} // namespace rtc::rtp
