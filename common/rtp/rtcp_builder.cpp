#include "rtp/rtcp_builder.hpp"

#include "util/bytes.hpp"

namespace rtc::rtp {

namespace {

// RFC 3550 §6.4.1 common header; the length is patched by finish().
void write_header(util::ByteWriter& w, uint8_t count, RtcpType type) {
    w.write_u8(static_cast<uint8_t>(0x80 | (count & 0x1F)));
    w.write_u8(static_cast<uint8_t>(type));
    w.write_u16(0);
}

std::size_t finish(util::ByteWriter& w) {
    w.pad_to(4);
    if (!w.ok() || w.position() < kRtcpHeaderSize)
        return 0;
    w.patch_u16(2, static_cast<uint16_t>(w.position() / 4 - 1));
    return w.ok() ? w.position() : 0;
}

void write_report_block(util::ByteWriter& w, const ReportBlock& b) {
    w.write_u32(b.ssrc);
    w.write_u8(b.fraction_lost);
    // 24-bit signed cumulative loss, clamped (RFC 3550 §6.4.1).
    int32_t lost = b.cumulative_lost;
    if (lost > 0x7FFFFF)
        lost = 0x7FFFFF;
    if (lost < -0x800000)
        lost = -0x800000;
    const uint32_t u = static_cast<uint32_t>(lost) & 0xFFFFFF;
    w.write_u8(static_cast<uint8_t>(u >> 16));
    w.write_u16(static_cast<uint16_t>(u));
    w.write_u32(b.highest_sequence);
    w.write_u32(b.jitter);
    w.write_u32(b.last_sr);
    w.write_u32(b.delay_since_last_sr);
}

} // namespace

std::size_t build_sender_report(std::span<uint8_t> out, const SenderInfo& info,
                                std::span<const ReportBlock> blocks) {
    if (blocks.size() > kMaxReportBlocks)
        return 0;
    util::ByteWriter w(out);
    write_header(w, static_cast<uint8_t>(blocks.size()), RtcpType::Sr);
    w.write_u32(info.ssrc);
    w.write_u64(info.ntp_timestamp);
    w.write_u32(info.rtp_timestamp);
    w.write_u32(info.packet_count);
    w.write_u32(info.octet_count);
    for (const auto& b : blocks)
        write_report_block(w, b);
    return finish(w);
}

std::size_t build_receiver_report(std::span<uint8_t> out, uint32_t sender_ssrc,
                                  std::span<const ReportBlock> blocks) {
    if (blocks.size() > kMaxReportBlocks)
        return 0;
    util::ByteWriter w(out);
    write_header(w, static_cast<uint8_t>(blocks.size()), RtcpType::Rr);
    w.write_u32(sender_ssrc);
    for (const auto& b : blocks)
        write_report_block(w, b);
    return finish(w);
}

std::size_t build_sdes_cname(std::span<uint8_t> out, uint32_t ssrc, std::string_view cname) {
    if (cname.size() > 255)
        return 0;
    util::ByteWriter w(out);
    write_header(w, 1, RtcpType::Sdes);
    w.write_u32(ssrc);
    w.write_u8(1); // CNAME, RFC 3550 §6.5.1
    w.write_u8(static_cast<uint8_t>(cname.size()));
    w.write_string(cname);
    // RFC 3550 §6.5: a null item ends the list, then zero padding to 32 bits.
    w.write_u8(0);
    return finish(w);
}

std::size_t build_bye(std::span<uint8_t> out, std::span<const uint32_t> ssrcs) {
    if (ssrcs.size() > 31)
        return 0;
    util::ByteWriter w(out);
    write_header(w, static_cast<uint8_t>(ssrcs.size()), RtcpType::Bye);
    for (uint32_t s : ssrcs)
        w.write_u32(s);
    return finish(w);
}

std::size_t build_pli(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc) {
    // RFC 4585 §6.3.1: no FCI.
    util::ByteWriter w(out);
    write_header(w, kFmtPli, RtcpType::Psfb);
    w.write_u32(sender_ssrc);
    w.write_u32(media_ssrc);
    return finish(w);
}

std::size_t build_fir(std::span<uint8_t> out, uint32_t sender_ssrc,
                      std::span<const FirEntry> entries) {
    if (entries.empty())
        return 0;
    util::ByteWriter w(out);
    write_header(w, kFmtFir, RtcpType::Psfb);
    w.write_u32(sender_ssrc);
    w.write_u32(0); // RFC 5104 §4.3.1.2: media source SSRC unused, set to 0
    for (const auto& e : entries) {
        w.write_u32(e.ssrc);
        w.write_u8(e.sequence);
        w.write_fill(3);
    }
    return finish(w);
}

std::size_t build_nack(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc,
                       std::span<const uint16_t> sequences) {
    if (sequences.empty())
        return 0;
    util::ByteWriter w(out);
    write_header(w, kFmtNack, RtcpType::Rtpfb);
    w.write_u32(sender_ssrc);
    w.write_u32(media_ssrc);
    // RFC 4585 §6.2.1: PID, then BLP bit i for PID + i + 1.
    std::size_t pair_at = 0;
    uint16_t pid = 0;
    uint16_t blp = 0;
    bool open = false;
    for (uint16_t s : sequences) {
        const uint16_t d = static_cast<uint16_t>(s - pid);
        if (open && d == 0)
            continue;
        if (open && d >= 1 && d <= 16) {
            blp = static_cast<uint16_t>(blp | (1u << (d - 1)));
            w.patch_u16(pair_at + 2, blp);
            continue;
        }
        pair_at = w.position();
        pid = s;
        blp = 0;
        open = true;
        w.write_u16(pid);
        w.write_u16(0);
    }
    return finish(w);
}

std::size_t build_remb(std::span<uint8_t> out, uint32_t sender_ssrc, uint64_t bitrate_bps,
                       std::span<const uint32_t> ssrcs) {
    if (ssrcs.size() > 255)
        return 0;
    // draft-alvestrand-rmcat-remb §2.2: bitrate = mantissa * 2^exp, 18-bit mantissa.
    unsigned exp = 0;
    while ((bitrate_bps >> exp) > 0x3FFFF)
        ++exp;
    const uint32_t mantissa = static_cast<uint32_t>(bitrate_bps >> exp);
    util::ByteWriter w(out);
    write_header(w, kFmtAfb, RtcpType::Psfb);
    w.write_u32(sender_ssrc);
    w.write_u32(0); // media source unused
    w.write_string("REMB");
    w.write_u8(static_cast<uint8_t>(ssrcs.size()));
    w.write_u8(static_cast<uint8_t>((exp << 2) | (mantissa >> 16)));
    w.write_u16(static_cast<uint16_t>(mantissa));
    for (uint32_t s : ssrcs)
        w.write_u32(s);
    return finish(w);
}

} // namespace rtc::rtp
