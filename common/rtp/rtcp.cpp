#include "rtp/rtcp.hpp"

#include "util/bytes.hpp"

#include <algorithm>

namespace rtc::rtp {

std::optional<RtcpPacketView> RtcpIterator::next() {
    if (malformed_ || pos_ >= data_.size())
        return std::nullopt;
    const std::size_t left = data_.size() - pos_;
    const uint8_t* p = data_.data() + pos_;
    // RFC 3550 §6.4.1: V=2, length in 32-bit words minus one.
    if (left < kRtcpHeaderSize || (p[0] >> 6) != 2) {
        malformed_ = true;
        return std::nullopt;
    }
    const std::size_t size = (std::size_t{util::load_u16(p + 2)} + 1) * 4;
    if (size > left) {
        malformed_ = true;
        return std::nullopt;
    }
    std::size_t padding = 0;
    if (p[0] & 0x20) {
        // RFC 3550 §6.4.1 P bit: last octet counts padding octets, within this packet's body.
        padding = p[size - 1];
        if (padding == 0 || padding > size - kRtcpHeaderSize) {
            malformed_ = true;
            return std::nullopt;
        }
    }
    RtcpPacketView v(data_.subspan(pos_, size), padding);
    pos_ += size;
    return v;
}

ReportBlock ReportBlocks::operator[](std::size_t i) const {
    ReportBlock b;
    if (i >= size())
        return b;
    const uint8_t* p = bytes.data() + i * kReportBlockSize;
    b.ssrc = util::load_u32(p);
    b.fraction_lost = p[4];
    // 24-bit signed cumulative loss, sign-extended.
    uint32_t lost = (uint32_t{p[5]} << 16) | (uint32_t{p[6]} << 8) | p[7];
    if (lost & 0x800000)
        lost |= 0xFF000000u;
    b.cumulative_lost = static_cast<int32_t>(lost);
    b.highest_sequence = util::load_u32(p + 8);
    b.jitter = util::load_u32(p + 12);
    b.last_sr = util::load_u32(p + 16);
    b.delay_since_last_sr = util::load_u32(p + 20);
    return b;
}

std::optional<SenderReport> parse_sender_report(const RtcpPacketView& packet) {
    if (packet.packet_type() != static_cast<uint8_t>(RtcpType::Sr))
        return std::nullopt;
    util::ByteReader r(packet.body());
    SenderReport sr;
    sr.sender_ssrc = r.read_u32();
    sr.ntp_timestamp = r.read_u64();
    sr.rtp_timestamp = r.read_u32();
    sr.packet_count = r.read_u32();
    sr.octet_count = r.read_u32();
    sr.reports.bytes = r.read_bytes(packet.count() * kReportBlockSize);
    if (!r.ok())
        return std::nullopt;
    return sr; // profile-specific extensions after the blocks are ignored (§6.4.1)
}

std::optional<ReceiverReport> parse_receiver_report(const RtcpPacketView& packet) {
    if (packet.packet_type() != static_cast<uint8_t>(RtcpType::Rr))
        return std::nullopt;
    util::ByteReader r(packet.body());
    ReceiverReport rr;
    rr.sender_ssrc = r.read_u32();
    rr.reports.bytes = r.read_bytes(packet.count() * kReportBlockSize);
    if (!r.ok())
        return std::nullopt;
    return rr;
}

SdesIterator::SdesIterator(const RtcpPacketView& packet) {
    if (packet.packet_type() != static_cast<uint8_t>(RtcpType::Sdes)) {
        malformed_ = true;
        return;
    }
    data_ = packet.body();
    remaining_ = packet.count();
}

std::optional<SdesChunk> SdesIterator::next() {
    // RFC 3550 §6.5: SSRC, items (type, length, text), a null item, padding to 32 bits.
    if (malformed_ || remaining_ == 0)
        return std::nullopt;
    if (data_.size() - pos_ < 4) {
        malformed_ = true;
        return std::nullopt;
    }
    SdesChunk chunk;
    chunk.ssrc = util::load_u32(data_.data() + pos_);
    std::size_t p = pos_ + 4;
    for (;;) {
        if (p >= data_.size()) {
            malformed_ = true; // no terminating null item
            return std::nullopt;
        }
        const uint8_t type = data_[p];
        if (type == 0) {
            ++p;
            break;
        }
        if (data_.size() - p < 2 || data_[p + 1] > data_.size() - p - 2) {
            malformed_ = true;
            return std::nullopt;
        }
        const std::size_t len = data_[p + 1];
        if (type == 1 && chunk.cname.empty()) // CNAME, §6.5.1
            chunk.cname = util::as_string_view(data_.subspan(p + 2, len));
        p += 2 + len;
    }
    // Chunks end on a 32-bit boundary relative to the body start.
    p = std::min((p + 3) & ~std::size_t{3}, data_.size());
    pos_ = p;
    --remaining_;
    return chunk;
}

uint32_t Bye::ssrc(std::size_t i) const {
    return i < size() ? util::load_u32(ssrc_bytes.data() + 4 * i) : 0;
}

std::optional<Bye> parse_bye(const RtcpPacketView& packet) {
    if (packet.packet_type() != static_cast<uint8_t>(RtcpType::Bye))
        return std::nullopt;
    util::ByteReader r(packet.body());
    Bye bye;
    bye.ssrc_bytes = r.read_bytes(4u * packet.count());
    if (!r.ok())
        return std::nullopt;
    // RFC 3550 §6.6: optional length-prefixed reason.
    if (r.remaining() > 0) {
        const std::size_t len = r.read_u8();
        auto text = r.read_bytes(len);
        if (r.ok())
            bye.reason = util::as_string_view(text);
    }
    return bye;
}

FeedbackKind Feedback::kind() const {
    if (type == RtcpType::Rtpfb) {
        if (fmt == kFmtNack)
            return FeedbackKind::Nack;
        if (fmt == kFmtTwcc)
            return FeedbackKind::Twcc;
        return FeedbackKind::Other;
    }
    if (fmt == kFmtPli)
        return FeedbackKind::Pli;
    if (fmt == kFmtFir)
        return FeedbackKind::Fir;
    if (fmt == kFmtAfb && fci.size() >= 4 && fci[0] == 'R' && fci[1] == 'E' && fci[2] == 'M' &&
        fci[3] == 'B')
        return FeedbackKind::Remb;
    return FeedbackKind::Other;
}

std::optional<Feedback> parse_feedback(const RtcpPacketView& packet) {
    const uint8_t pt = packet.packet_type();
    if (pt != static_cast<uint8_t>(RtcpType::Rtpfb) && pt != static_cast<uint8_t>(RtcpType::Psfb))
        return std::nullopt;
    auto body = packet.body();
    if (body.size() < 8)
        return std::nullopt;
    Feedback fb;
    fb.type = static_cast<RtcpType>(pt);
    fb.fmt = packet.fmt();
    fb.sender_ssrc = util::load_u32(body.data());
    fb.media_ssrc = util::load_u32(body.data() + 4);
    fb.fci = body.subspan(8);
    return fb;
}

std::size_t nack_sequences(const Feedback& fb, std::span<uint16_t> out) {
    std::size_t n = 0;
    for_each_nack(fb, [&](uint16_t s) {
        if (n < out.size())
            out[n++] = s;
    });
    return n;
}

std::size_t fir_count(const Feedback& fb) {
    return fb.fci.size() / 8;
}

FirEntry fir_entry(const Feedback& fb, std::size_t i) {
    // RFC 5104 §4.3.1.1: SSRC, Seq nr, 24 reserved bits.
    if (i >= fir_count(fb))
        return {};
    const uint8_t* p = fb.fci.data() + 8 * i;
    return {util::load_u32(p), p[4]};
}

uint32_t Remb::ssrc(std::size_t i) const {
    return i < size() ? util::load_u32(ssrc_bytes.data() + 4 * i) : 0;
}

std::optional<Remb> parse_remb(const Feedback& fb) {
    if (fb.kind() != FeedbackKind::Remb || fb.fci.size() < 8)
        return std::nullopt;
    const uint8_t* p = fb.fci.data();
    const std::size_t num = p[4];
    const unsigned exp = p[5] >> 2;
    const uint64_t mantissa = (uint64_t{p[5] & 0x03u} << 16) | (uint64_t{p[6]} << 8) | p[7];
    if (fb.fci.size() - 8 < num * 4)
        return std::nullopt;
    Remb remb;
    // 18-bit mantissa shifted by up to 63: saturate instead of overflowing.
    remb.bitrate_bps = (exp > 46 && mantissa != 0) ? UINT64_MAX : (mantissa << exp);
    if (mantissa != 0 && exp <= 46 && (remb.bitrate_bps >> exp) != mantissa)
        remb.bitrate_bps = UINT64_MAX;
    remb.ssrc_bytes = fb.fci.subspan(8, num * 4);
    return remb;
}

} // namespace rtc::rtp
