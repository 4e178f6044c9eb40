#include "rtp/rewrite.hpp"

#include "util/bytes.hpp"

#include <cstring>

namespace rtc::rtp {

bool ExtensionPlan::map_id(uint8_t from, uint8_t to) {
    if (from == 0)
        return false;
    map[from] = to;
    return true;
}

bool ExtensionPlan::add_extra(uint8_t id, std::span<const uint8_t> value) {
    if (id == 0 || extra_count >= extras.size() || value.size() > kMaxExtraValueSize)
        return false;
    ExtraExtension& e = extras[extra_count++];
    e.id = id;
    e.size = static_cast<uint8_t>(value.size());
    if (!value.empty())
        std::memcpy(e.value.data(), value.data(), value.size());
    return true;
}

namespace {

// Fits one element in the one-byte form (RFC 8285 §4.2: 1-16 bytes, id 1-14)?
bool fits_one_byte(uint8_t id, std::size_t size) {
    return id >= 1 && id <= kMaxOneByteId && size >= 1 && size <= kMaxOneByteValue;
}

// Decides the form and computes the element bytes (without padding) for a plan.
struct PlanShape {
    bool one_byte = true;
    std::size_t elements = 0;
    std::size_t count = 0;
};

// Visits every output element: publisher elements with a mapping, then the extras.
template <class F> void for_each_output(const RtpView& in, const ExtensionPlan& plan, F&& f) {
    auto it = in.extensions();
    while (auto e = it.next()) {
        const uint8_t to = plan.map[e->id];
        if (to != 0)
            f(to, e->value);
    }
    for (std::size_t i = 0; i < plan.extra_count && i < plan.extras.size(); ++i)
        f(plan.extras[i].id, plan.extras[i].bytes());
}

} // namespace

std::size_t rewrite(const RtpView& in, const RewriteParams& p, std::span<uint8_t> out) {
    util::ByteWriter w(out);
    const std::size_t csrc_len = p.keep_csrcs ? in.csrc_bytes().size() : 0;
    const bool marker = p.marker.value_or(in.marker());

    // Work out the extension block first so the X bit is known.
    PlanShape shape;
    if (p.extensions != nullptr) {
        for_each_output(in, *p.extensions, [&](uint8_t id, std::span<const uint8_t> v) {
            if (!fits_one_byte(id, v.size()))
                shape.one_byte = false;
            ++shape.count;
        });
        for_each_output(in, *p.extensions, [&](uint8_t, std::span<const uint8_t> v) {
            shape.elements += (shape.one_byte ? 1 : 2) + v.size();
        });
    }
    const bool has_ext = p.extensions ? shape.count > 0 : in.has_extension();
    const bool padding = p.keep_padding && in.padding_size() > 0;

    // RFC 3550 §5.1 fixed header
    w.write_u8(
        static_cast<uint8_t>(0x80 | (padding ? 0x20 : 0) | (has_ext ? 0x10 : 0) | (csrc_len / 4)));
    w.write_u8(static_cast<uint8_t>((marker ? 0x80 : 0) | (p.payload_type & 0x7F)));
    w.write_u16(p.sequence);
    w.write_u32(p.timestamp);
    w.write_u32(p.ssrc);
    if (csrc_len)
        w.write_bytes(in.csrc_bytes());

    if (has_ext && p.extensions == nullptr) {
        // Copy the publisher's block as is (RFC 3550 §5.3.1).
        w.write_u16(in.extension_profile());
        w.write_u16(static_cast<uint16_t>(in.extension_data().size() / 4));
        w.write_bytes(in.extension_data());
    } else if (has_ext) {
        // RFC 8285 §4.1: block length in 32-bit words, zero padding at the end.
        const std::size_t words = (shape.elements + 3) / 4;
        if (words > 0xFFFF)
            return 0;
        w.write_u16(shape.one_byte ? kOneByteProfile : kTwoByteProfile);
        w.write_u16(static_cast<uint16_t>(words));
        const std::size_t start = w.position();
        for_each_output(in, *p.extensions, [&](uint8_t id, std::span<const uint8_t> v) {
            if (shape.one_byte) {
                w.write_u8(static_cast<uint8_t>((id << 4) | (v.size() - 1))); // §4.2
            } else {
                w.write_u8(id); // §4.3
                w.write_u8(static_cast<uint8_t>(v.size()));
            }
            w.write_bytes(v);
        });
        w.write_fill(words * 4 - (w.position() - start));
    }
    w.write_bytes(in.payload());
    if (padding) {
        // Keep the publisher's padding bytes, whose last octet is the count (RFC 3550 §5.1).
        w.write_bytes(in.bytes().last(in.padding_size()));
    }
    return w.ok() ? w.position() : 0;
}

bool set_sequence(std::span<uint8_t> packet, uint16_t sequence) {
    if (packet.size() < kFixedHeaderSize)
        return false;
    util::store_u16(packet.data() + 2, sequence);
    return true;
}

bool set_timestamp(std::span<uint8_t> packet, uint32_t timestamp) {
    if (packet.size() < kFixedHeaderSize)
        return false;
    util::store_u32(packet.data() + 4, timestamp);
    return true;
}

bool set_ssrc(std::span<uint8_t> packet, uint32_t ssrc) {
    if (packet.size() < kFixedHeaderSize)
        return false;
    util::store_u32(packet.data() + 8, ssrc);
    return true;
}

bool set_payload_type(std::span<uint8_t> packet, uint8_t payload_type) {
    if (packet.size() < kFixedHeaderSize)
        return false;
    packet[1] = static_cast<uint8_t>((packet[1] & 0x80) | (payload_type & 0x7F));
    return true;
}

bool set_marker(std::span<uint8_t> packet, bool marker) {
    if (packet.size() < kFixedHeaderSize)
        return false;
    packet[1] = static_cast<uint8_t>((packet[1] & 0x7F) | (marker ? 0x80 : 0));
    return true;
}

} // namespace rtc::rtp
