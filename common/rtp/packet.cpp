#include "rtp/packet.hpp"

#include "util/bytes.hpp"

namespace rtc::rtp {

std::optional<HeaderExtension> ExtensionIterator::next() {
    while (!malformed_ && pos_ < data_.size()) {
        const uint8_t b = data_[pos_];
        if (b == 0) { // RFC 8285 §4.1: padding byte between/after elements
            ++pos_;
            continue;
        }
        if (form_ == ExtensionForm::OneByte) {
            // RFC 8285 §4.2: ID (4 bits), L = length - 1 (4 bits); ID 15 ends processing.
            const uint8_t id = static_cast<uint8_t>(b >> 4);
            if (id == 15) {
                pos_ = data_.size();
                return std::nullopt;
            }
            const std::size_t len = (b & 0x0F) + 1u;
            if (len > data_.size() - pos_ - 1) {
                malformed_ = true;
                return std::nullopt;
            }
            HeaderExtension e{id, data_.subspan(pos_ + 1, len)};
            pos_ += 1 + len;
            return e;
        }
        if (form_ == ExtensionForm::TwoByte) {
            // RFC 8285 §4.3: ID (8 bits), length (8 bits, may be 0).
            if (data_.size() - pos_ < 2) {
                malformed_ = true;
                return std::nullopt;
            }
            const std::size_t len = data_[pos_ + 1];
            if (len > data_.size() - pos_ - 2) {
                malformed_ = true;
                return std::nullopt;
            }
            HeaderExtension e{b, data_.subspan(pos_ + 2, len)};
            pos_ += 2 + len;
            return e;
        }
        return std::nullopt; // not an RFC 8285 block: no elements
    }
    return std::nullopt;
}

std::optional<RtpView> RtpView::parse(std::span<const uint8_t> packet) {
    // RFC 3550 §5.1 fixed header
    if (packet.size() < kFixedHeaderSize || (packet[0] >> 6) != 2)
        return std::nullopt;
    RtpView v;
    v.bytes_ = packet;
    std::size_t pos = kFixedHeaderSize + 4u * (packet[0] & 0x0F);
    if (pos > packet.size())
        return std::nullopt;
    if (packet[0] & 0x10) {
        // RFC 3550 §5.3.1: 16-bit profile, 16-bit length in 32-bit words, then the data.
        if (packet.size() - pos < 4)
            return std::nullopt;
        v.extension_profile_ = util::load_u16(packet.data() + pos);
        const std::size_t len = 4u * util::load_u16(packet.data() + pos + 2);
        pos += 4;
        if (len > packet.size() - pos)
            return std::nullopt;
        v.extension_data_ = packet.subspan(pos, len);
        pos += len;
    }
    v.header_size_ = pos;
    std::size_t end = packet.size();
    if (packet[0] & 0x20) {
        // RFC 3550 §5.1 P bit: last octet counts padding octets including itself.
        const std::size_t pad = packet.back();
        if (pad == 0 || pad > end - pos)
            return std::nullopt;
        v.padding_size_ = pad;
        end -= pad;
    }
    v.payload_size_ = end - pos;
    return v;
}

uint16_t RtpView::sequence() const {
    return util::load_u16(bytes_.data() + 2);
}
uint32_t RtpView::timestamp() const {
    return util::load_u32(bytes_.data() + 4);
}
uint32_t RtpView::ssrc() const {
    return util::load_u32(bytes_.data() + 8);
}

uint32_t RtpView::csrc(std::size_t i) const {
    if (i >= csrc_count())
        return 0;
    return util::load_u32(bytes_.data() + kFixedHeaderSize + 4 * i);
}

ExtensionForm RtpView::extension_form() const {
    if (!has_extension())
        return ExtensionForm::None;
    if (extension_profile_ == kOneByteProfile)
        return ExtensionForm::OneByte;
    if ((extension_profile_ & kTwoByteProfileMask) == kTwoByteProfile)
        return ExtensionForm::TwoByte;
    return ExtensionForm::Other;
}

std::optional<std::span<const uint8_t>> RtpView::find_extension(uint8_t id) const {
    if (id == 0)
        return std::nullopt;
    auto it = extensions();
    while (auto e = it.next())
        if (e->id == id)
            return e->value;
    return std::nullopt;
}

} // namespace rtc::rtp
