#pragma once
// Per-SSRC reception statistics for receiver reports: sequence tracking and loss (RFC 3550 A.1,
// A.3) and interarrival jitter (RFC 3550 §6.4.1, A.8).
#include "rtp/rtcp.hpp"

#include <cstdint>

namespace rtc::rtp {

class ReceiveStats {
public:
    // arrival is the receive time in the stream's RTP clock units (any origin, wrapping).
    // Returns false when the packet was not counted: a jump too large to be loss or reordering
    // (RFC 3550 A.1) is taken as a restart only when the next packet follows it. Duplicates and
    // reordered packets are counted as received, as in A.1.
    bool update(uint16_t sequence, uint32_t rtp_timestamp, uint32_t arrival);

    bool started() const { return received_ > 0; }
    // RFC 3550 A.3: cycles << 16 | max_seq.
    uint32_t extended_highest_sequence() const;
    // expected - received, clamped to the 24-bit signed field's range.
    int32_t cumulative_lost() const;
    // Fraction lost since the last report_block() call, in 1/256 (RFC 3550 A.3).
    uint8_t fraction_lost() const;
    // RFC 3550 A.8, in RTP clock units.
    uint32_t jitter() const { return jitter_q4_ >> 4; }
    uint64_t packets_received() const { return received_; }

    // Fills a report block (ssrc = the source reported on) and starts a new interval for
    // fraction_lost. last_sr is the middle 32 bits of the last SR's NTP time; delay in 1/65536 s.
    ReportBlock report_block(uint32_t ssrc, uint32_t last_sr, uint32_t delay_since_last_sr);

private:
    void init_sequence(uint16_t sequence);
    int64_t expected() const;

    uint16_t max_seq_ = 0;
    uint32_t cycles_ = 0;
    uint32_t base_seq_ = 0;
    uint32_t bad_seq_ = 0x10001; // RTP_SEQ_MOD + 1: no pending restart
    uint64_t received_ = 0;
    int64_t expected_prior_ = 0;
    uint64_t received_prior_ = 0;
    uint32_t jitter_q4_ = 0; // jitter * 16
    uint32_t last_transit_ = 0;
    bool have_transit_ = false;
};

} // namespace rtc::rtp
