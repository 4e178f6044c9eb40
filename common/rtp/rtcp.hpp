#pragma once
// RTCP parsing (RFC 3550 §6): compound-packet iteration and typed views of SR, RR, SDES, BYE and
// the feedback messages of RFC 4585 §6 (generic NACK, PLI), RFC 5104 §4.3.1 (FIR),
// draft-alvestrand-rmcat-remb (REMB) and draft-holmer-rmcat-transport-wide-cc (TWCC, type only).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rtc::rtp {

// RFC 3550 §12.1, RFC 4585 §6.1 packet types.
enum class RtcpType : uint8_t {
    Sr = 200,
    Rr = 201,
    Sdes = 202,
    Bye = 203,
    App = 204,
    Rtpfb = 205,
    Psfb = 206,
    Xr = 207,
};

inline constexpr std::size_t kRtcpHeaderSize = 4;
inline constexpr std::size_t kReportBlockSize = 24;
inline constexpr std::size_t kMaxReportBlocks = 31;
// RFC 4585 §6.2 / RFC 5104 §4.3.1 feedback message types (FMT).
inline constexpr uint8_t kFmtNack = 1;  // RTPFB generic NACK
inline constexpr uint8_t kFmtTwcc = 15; // RTPFB transport-wide CC
inline constexpr uint8_t kFmtPli = 1;   // PSFB
inline constexpr uint8_t kFmtFir = 4;   // PSFB
inline constexpr uint8_t kFmtAfb = 15;  // PSFB application layer (REMB)

// One RTCP packet inside a compound packet (RFC 3550 §6.4.1 common header).
class RtcpPacketView {
public:
    RtcpPacketView() = default;
    explicit RtcpPacketView(std::span<const uint8_t> bytes, std::size_t padding)
        : bytes_(bytes), padding_(padding) {}

    // RC / SC / FMT: the low five bits of the first byte.
    uint8_t count() const { return static_cast<uint8_t>(bytes_[0] & 0x1F); }
    uint8_t fmt() const { return count(); }
    uint8_t packet_type() const { return bytes_[1]; }
    bool has_padding() const { return (bytes_[0] & 0x20) != 0; }
    // The whole packet, header and padding included ((length + 1) * 4 bytes).
    std::span<const uint8_t> bytes() const { return bytes_; }
    // After the 4-byte header, without padding.
    std::span<const uint8_t> body() const {
        return bytes_.subspan(kRtcpHeaderSize, bytes_.size() - kRtcpHeaderSize - padding_);
    }

private:
    std::span<const uint8_t> bytes_;
    std::size_t padding_ = 0;
};

// Iterates the packets of a compound RTCP packet. Each header must say version 2 and a length that
// fits; padding (P bit) must fit in the packet. The first bad header ends the iteration and sets
// malformed(). A stray trailing fragment shorter than a header is malformed too.
class RtcpIterator {
public:
    explicit RtcpIterator(std::span<const uint8_t> compound) : data_(compound) {}
    std::optional<RtcpPacketView> next();
    bool malformed() const { return malformed_; }

private:
    std::span<const uint8_t> data_;
    std::size_t pos_ = 0;
    bool malformed_ = false;
};

// RFC 3550 §6.4.1: LSR is the middle 32 bits of the 64-bit NTP timestamp of the last SR.
constexpr uint32_t ntp_middle(uint64_t ntp_timestamp) {
    return static_cast<uint32_t>(ntp_timestamp >> 16);
}

// RFC 3550 §6.4.1 report block. cumulative_lost is the 24-bit signed field sign-extended.
struct ReportBlock {
    uint32_t ssrc = 0;
    uint8_t fraction_lost = 0;
    int32_t cumulative_lost = 0;
    uint32_t highest_sequence = 0; // extended highest sequence number received
    uint32_t jitter = 0;
    uint32_t last_sr = 0;             // LSR: middle 32 bits of the last SR's NTP timestamp
    uint32_t delay_since_last_sr = 0; // DLSR, 1/65536 s
    bool operator==(const ReportBlock&) const = default;
};

// Report blocks as stored in an SR or RR (count * 24 bytes).
struct ReportBlocks {
    std::span<const uint8_t> bytes;
    std::size_t size() const { return bytes.size() / kReportBlockSize; }
    ReportBlock operator[](std::size_t i) const; // i < size()
};

// RFC 3550 §6.4.1
struct SenderReport {
    uint32_t sender_ssrc = 0;
    uint64_t ntp_timestamp = 0;
    uint32_t rtp_timestamp = 0;
    uint32_t packet_count = 0;
    uint32_t octet_count = 0;
    ReportBlocks reports;
};
std::optional<SenderReport> parse_sender_report(const RtcpPacketView& packet);

// RFC 3550 §6.4.2
struct ReceiverReport {
    uint32_t sender_ssrc = 0;
    ReportBlocks reports;
};
std::optional<ReceiverReport> parse_receiver_report(const RtcpPacketView& packet);

// RFC 3550 §6.5: one chunk per source; cname is empty when the chunk has no CNAME item.
struct SdesChunk {
    uint32_t ssrc = 0;
    std::string_view cname;
};
// Iterates the chunks of an SDES packet (at most SC of them); stops at the first malformed chunk.
class SdesIterator {
public:
    explicit SdesIterator(const RtcpPacketView& packet);
    std::optional<SdesChunk> next();
    bool malformed() const { return malformed_; }

private:
    std::span<const uint8_t> data_;
    std::size_t pos_ = 0;
    std::size_t remaining_ = 0;
    bool malformed_ = false;
};

// RFC 3550 §6.6
struct Bye {
    std::span<const uint8_t> ssrc_bytes; // count * 4 bytes
    std::string_view reason;
    std::size_t size() const { return ssrc_bytes.size() / 4; }
    uint32_t ssrc(std::size_t i) const; // i < size()
};
std::optional<Bye> parse_bye(const RtcpPacketView& packet);

// RFC 4585 §6.1 common feedback layout.
enum class FeedbackKind { Nack, Twcc, Pli, Fir, Remb, Other };
struct Feedback {
    RtcpType type = RtcpType::Rtpfb;
    uint8_t fmt = 0;
    uint32_t sender_ssrc = 0;
    uint32_t media_ssrc = 0;
    std::span<const uint8_t> fci;
    FeedbackKind kind() const;
};
// For packet types 205 and 206 with at least the two SSRCs; nullopt otherwise.
std::optional<Feedback> parse_feedback(const RtcpPacketView& packet);

// RFC 4585 §6.2.1: expands each PID/BLP pair into sequence numbers, in order. The callable gets
// a uint16_t. Returns false (after reporting what came before) if the FCI is not whole pairs.
template <class F> bool for_each_nack(const Feedback& fb, F&& f) {
    if (fb.fci.size() % 4 != 0)
        return false;
    for (std::size_t i = 0; i + 4 <= fb.fci.size(); i += 4) {
        const uint16_t pid = static_cast<uint16_t>((fb.fci[i] << 8) | fb.fci[i + 1]);
        const uint16_t blp = static_cast<uint16_t>((fb.fci[i + 2] << 8) | fb.fci[i + 3]);
        f(pid);
        for (int bit = 0; bit < 16; ++bit)
            if (blp & (1u << bit))
                f(static_cast<uint16_t>(pid + bit + 1));
    }
    return true;
}
// Same, into a fixed array: returns how many were written (at most out.size()).
std::size_t nack_sequences(const Feedback& fb, std::span<uint16_t> out);

// RFC 5104 §4.3.1.1 FIR entry.
struct FirEntry {
    uint32_t ssrc = 0;
    uint8_t sequence = 0;
    bool operator==(const FirEntry&) const = default;
};
// Number of whole 8-byte entries and the i-th one.
std::size_t fir_count(const Feedback& fb);
FirEntry fir_entry(const Feedback& fb, std::size_t i);

// draft-alvestrand-rmcat-remb §2.2: "REMB", num SSRC, BR Exp (6 bits), BR Mantissa (18 bits).
struct Remb {
    uint64_t bitrate_bps = 0;
    std::span<const uint8_t> ssrc_bytes;
    std::size_t size() const { return ssrc_bytes.size() / 4; }
    uint32_t ssrc(std::size_t i) const; // i < size()
};
std::optional<Remb> parse_remb(const Feedback& fb);

} // namespace rtc::rtp
