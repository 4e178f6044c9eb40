#include "record/vp9_payload.hpp"

namespace rtc::record {

namespace {

// MSB-first bit reader; reading past the end sets failed() and returns zeros.
class BitReader {
public:
    explicit BitReader(std::span<const uint8_t> data) : data_(data) {}
    uint32_t bits(unsigned n) {
        uint32_t v = 0;
        for (unsigned i = 0; i < n; ++i) {
            if (pos_ >= data_.size() * 8) {
                failed_ = true;
                return 0;
            }
            v = (v << 1) | ((data_[pos_ / 8] >> (7 - pos_ % 8)) & 1u);
            ++pos_;
        }
        return v;
    }
    bool failed() const { return failed_; }

private:
    std::span<const uint8_t> data_;
    std::size_t pos_ = 0;
    bool failed_ = false;
};

struct FrameStart {
    unsigned profile = 0;
    bool keyframe = false;
};

// VP9 bitstream §6.2 uncompressed_header() up to and including error_resilient_mode.
std::optional<FrameStart> read_frame_start(BitReader& r) {
    if (r.bits(2) != 2) // frame_marker
        return std::nullopt;
    FrameStart s;
    const unsigned low = r.bits(1);
    const unsigned high = r.bits(1);
    s.profile = (high << 1) | low;
    if (s.profile == 3)
        r.bits(1); // reserved_zero
    if (r.bits(1)) // show_existing_frame: no new frame
        return std::nullopt;
    s.keyframe = r.bits(1) == 0; // frame_type 0 = KEY_FRAME
    r.bits(1);                   // show_frame
    r.bits(1);                   // error_resilient_mode
    if (r.failed())
        return std::nullopt;
    return s;
}

} // namespace

std::optional<Vp9Descriptor> parse_vp9_descriptor(std::span<const uint8_t> p) {
    // RFC 9628 §4.2: |I|P|L|F|B|E|V|Z|
    if (p.empty())
        return std::nullopt;
    Vp9Descriptor d;
    const uint8_t b0 = p[0];
    d.inter_predicted = (b0 & 0x40) != 0;
    d.flexible = (b0 & 0x10) != 0;
    d.begins_frame = (b0 & 0x08) != 0;
    d.ends_frame = (b0 & 0x04) != 0;
    d.not_reference = (b0 & 0x01) != 0;
    std::size_t pos = 1;
    auto need = [&](std::size_t n) { return p.size() - pos >= n; };
    if (b0 & 0x80) { // I: |M| PICTURE ID | [EXTENDED PID]
        if (!need(1))
            return std::nullopt;
        if (p[pos] & 0x80) {
            if (!need(2))
                return std::nullopt;
            d.picture_id = static_cast<uint16_t>(((p[pos] & 0x7F) << 8) | p[pos + 1]);
            pos += 2;
        } else {
            d.picture_id = p[pos++];
        }
    }
    if (b0 & 0x20) { // L: | TID |U| SID |D|, then TL0PICIDX in non-flexible mode
        if (!need(1))
            return std::nullopt;
        d.temporal_id = static_cast<uint8_t>(p[pos] >> 5);
        d.spatial_id = static_cast<uint8_t>((p[pos] >> 1) & 0x07);
        ++pos;
        if (!d.flexible) {
            if (!need(1))
                return std::nullopt;
            ++pos;
        }
    }
    if (d.flexible && d.inter_predicted) { // P_DIFF|N, up to 3 reference indices
        for (int i = 0;; ++i) {
            if (!need(1) || i == 3)
                return std::nullopt;
            if (!(p[pos++] & 0x01))
                break;
        }
    }
    if (b0 & 0x02) { // V: scalability structure, RFC 9628 §4.2.1: | N_S |Y|G|-|-|-|
        if (!need(1))
            return std::nullopt;
        const uint8_t ss = p[pos++];
        const std::size_t layers = (ss >> 5) + 1u;
        if (ss & 0x10) { // Y: WIDTH and HEIGHT (16 bits each) per spatial layer
            if (!need(4 * layers))
                return std::nullopt;
            VideoSize s{static_cast<uint16_t>((p[pos] << 8) | p[pos + 1]),
                        static_cast<uint16_t>((p[pos + 2] << 8) | p[pos + 3])};
            if (s.width != 0 && s.height != 0)
                d.ss_size = s;
            pos += 4 * layers;
        }
        if (ss & 0x08) { // G: N_G, then per group | TID |U| R |-|-| and R P_DIFFs
            if (!need(1))
                return std::nullopt;
            const std::size_t groups = p[pos++];
            for (std::size_t g = 0; g < groups; ++g) {
                if (!need(1))
                    return std::nullopt;
                const std::size_t refs = (p[pos++] >> 2) & 0x03;
                if (!need(refs))
                    return std::nullopt;
                pos += refs;
            }
        }
    }
    if (!need(1))
        return std::nullopt;
    d.size = pos;
    return d;
}

bool vp9_is_keyframe(std::span<const uint8_t> frame) {
    BitReader r(frame);
    const auto s = read_frame_start(r);
    return s && s->keyframe;
}

std::optional<VideoSize> vp9_keyframe_size(std::span<const uint8_t> frame) {
    BitReader r(frame);
    const auto s = read_frame_start(r);
    if (!s || !s->keyframe)
        return std::nullopt;
    if (r.bits(24) != 0x498342) // frame_sync_code
        return std::nullopt;
    // color_config()
    if (s->profile >= 2)
        r.bits(1); // ten_or_twelve_bit
    const unsigned color_space = r.bits(3);
    const bool odd_profile = s->profile == 1 || s->profile == 3;
    if (color_space != 7) { // not CS_RGB
        r.bits(1);          // color_range
        if (odd_profile)
            r.bits(3); // subsampling_x, subsampling_y, reserved_zero
    } else if (odd_profile) {
        r.bits(1); // reserved_zero
    }
    // frame_size()
    const uint32_t w = r.bits(16) + 1;
    const uint32_t h = r.bits(16) + 1;
    if (r.failed() || w > 0xFFFF || h > 0xFFFF)
        return std::nullopt;
    return VideoSize{static_cast<uint16_t>(w), static_cast<uint16_t>(h)};
}

} // namespace rtc::record
