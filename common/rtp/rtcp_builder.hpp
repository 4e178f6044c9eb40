#pragma once
// RTCP builders into caller buffers (RFC 3550 §6.4, RFC 4585 §6.2.1/§6.3.1, RFC 5104 §4.3.1,
// draft-alvestrand-rmcat-remb). Each returns the number of bytes written, 0 if it does not fit
// or the input cannot be encoded. Packets can be appended to build a compound packet.
#include "rtp/rtcp.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace rtc::rtp {

struct SenderInfo {
    uint32_t ssrc = 0;
    uint64_t ntp_timestamp = 0;
    uint32_t rtp_timestamp = 0;
    uint32_t packet_count = 0;
    uint32_t octet_count = 0;
};

// At most kMaxReportBlocks blocks.
std::size_t build_sender_report(std::span<uint8_t> out, const SenderInfo& info,
                                std::span<const ReportBlock> blocks);
std::size_t build_receiver_report(std::span<uint8_t> out, uint32_t sender_ssrc,
                                  std::span<const ReportBlock> blocks);
// RFC 3550 §6.5.1: one chunk with a CNAME item (cname up to 255 bytes).
std::size_t build_sdes_cname(std::span<uint8_t> out, uint32_t ssrc, std::string_view cname);
// RFC 3550 §6.6: up to 31 SSRCs, no reason.
std::size_t build_bye(std::span<uint8_t> out, std::span<const uint32_t> ssrcs);
// RFC 4585 §6.3.1
std::size_t build_pli(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc);
// RFC 5104 §4.3.1: media source SSRC 0, one entry per stream to refresh.
std::size_t build_fir(std::span<uint8_t> out, uint32_t sender_ssrc,
                      std::span<const FirEntry> entries);
// RFC 4585 §6.2.1: sequence numbers packed into PID/BLP pairs in the order given (pass them
// ascending): a number 1..16 after the current pair's PID joins its bitmask, others start a pair.
std::size_t build_nack(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc,
                       std::span<const uint16_t> sequences);
// draft-alvestrand-rmcat-remb §2.2: up to 255 SSRCs; bitrate encoded as exponent + 18-bit
// mantissa, rounded down.
std::size_t build_remb(std::span<uint8_t> out, uint32_t sender_ssrc, uint64_t bitrate_bps,
                       std::span<const uint32_t> ssrcs);

} // namespace rtc::rtp
