#include "rtp/receive_stats.hpp"

#include <cstdlib>

namespace rtc::rtp {

namespace {
// RFC 3550 A.1 constants.
constexpr uint32_t kSeqMod = 1u << 16;
constexpr uint16_t kMaxDropout = 3000;
constexpr uint16_t kMaxMisorder = 100;
} // namespace

void ReceiveStats::init_sequence(uint16_t sequence) {
    base_seq_ = sequence;
    max_seq_ = sequence;
    bad_seq_ = kSeqMod + 1;
    cycles_ = 0;
    received_ = 0;
    received_prior_ = 0;
    expected_prior_ = 0;
}

bool ReceiveStats::update(uint16_t sequence, uint32_t rtp_timestamp, uint32_t arrival) {
    if (received_ == 0) {
        init_sequence(sequence);
    } else {
        // RFC 3550 A.1 update_seq (without probation: an SFU counts from the first packet).
        const uint16_t udelta = static_cast<uint16_t>(sequence - max_seq_);
        if (udelta < kMaxDropout) {
            if (sequence < max_seq_)
                cycles_ += kSeqMod; // wrapped
            max_seq_ = sequence;
        } else if (udelta <= kSeqMod - kMaxMisorder) {
            // A very large jump: accept it only when the next packet follows it (restart).
            if (sequence == bad_seq_) {
                init_sequence(sequence);
                have_transit_ = false;
            } else {
                bad_seq_ = (sequence + 1u) & (kSeqMod - 1);
                return false;
            }
        }
        // else: duplicate or reordered, counted as received (A.1)
    }
    ++received_;

    // RFC 3550 A.8: J += (|D| - J) / 16, kept scaled by 16.
    const uint32_t transit = arrival - rtp_timestamp;
    if (have_transit_) {
        int64_t d = static_cast<int32_t>(transit - last_transit_);
        if (d < 0)
            d = -d;
        const int64_t j = int64_t{jitter_q4_} + d - ((int64_t{jitter_q4_} + 8) >> 4);
        jitter_q4_ = static_cast<uint32_t>(j < 0 ? 0 : (j > 0xFFFFFFFF ? 0xFFFFFFFF : j));
    }
    last_transit_ = transit;
    have_transit_ = true;
    return true;
}

uint32_t ReceiveStats::extended_highest_sequence() const {
    return cycles_ + max_seq_;
}

int64_t ReceiveStats::expected() const {
    if (received_ == 0)
        return 0;
    return int64_t{cycles_} + max_seq_ - base_seq_ + 1; // RFC 3550 A.3
}

int32_t ReceiveStats::cumulative_lost() const {
    const int64_t lost = expected() - static_cast<int64_t>(received_);
    if (lost > 0x7FFFFF)
        return 0x7FFFFF;
    if (lost < -0x800000)
        return -0x800000;
    return static_cast<int32_t>(lost);
}

uint8_t ReceiveStats::fraction_lost() const {
    // RFC 3550 A.3
    const int64_t expected_interval = expected() - expected_prior_;
    const int64_t received_interval = static_cast<int64_t>(received_ - received_prior_);
    const int64_t lost_interval = expected_interval - received_interval;
    if (expected_interval <= 0 || lost_interval <= 0)
        return 0;
    const int64_t f = (lost_interval << 8) / expected_interval;
    return static_cast<uint8_t>(f > 255 ? 255 : f);
}

ReportBlock ReceiveStats::report_block(uint32_t ssrc, uint32_t last_sr,
                                       uint32_t delay_since_last_sr) {
    ReportBlock b;
    b.ssrc = ssrc;
    b.fraction_lost = fraction_lost();
    b.cumulative_lost = cumulative_lost();
    b.highest_sequence = extended_highest_sequence();
    b.jitter = jitter();
    b.last_sr = last_sr;
    b.delay_since_last_sr = delay_since_last_sr;
    expected_prior_ = expected();
    received_prior_ = received_;
    return b;
}

} // namespace rtc::rtp
