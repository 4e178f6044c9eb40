#pragma once
// Loss detection on a publisher's stream for generic NACK (RFC 4585 §6.2.1, §3.5.3 timing left to
// the caller's interval): remembers missing sequence numbers and says which to request when.
#include "rtp/seq.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace rtc::rtp {

inline constexpr std::size_t kMaxNackOutstanding = 256;

struct NackConfig {
    std::size_t max_outstanding = kMaxNackOutstanding; // clamped to kMaxNackOutstanding
    uint16_t reset_jump = 1000; // a forward jump larger than this forgets all missing numbers
    int max_retries = 3;        // NACKs sent per missing number before giving up
    std::chrono::milliseconds retry_interval{100}; // RTT-ish spacing between retries
    std::chrono::milliseconds first_delay{0};      // wait for reordering before the first NACK
};

class NackTracker {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    explicit NackTracker(NackConfig config = {});

    // Feed every received sequence number (retransmissions included).
    void on_packet(uint16_t sequence, TimePoint now);
    // Writes up to out.size() sequence numbers due for a NACK now (oldest first), counts a retry
    // for each and schedules the next; numbers out of retries are dropped. Returns the count.
    std::size_t due(TimePoint now, std::span<uint16_t> out);
    // Earliest time something becomes due, nullopt if nothing is missing.
    std::optional<TimePoint> next_deadline() const;

    std::size_t outstanding() const { return count_; }
    void set_retry_interval(std::chrono::milliseconds interval) {
        config_.retry_interval = interval;
    }
    void reset();

private:
    struct Entry {
        int64_t extended = 0;
        TimePoint next_send{};
        int retries = 0;
    };
    void add_missing(int64_t extended, TimePoint now);
    void remove_at(std::size_t index);

    NackConfig config_;
    SequenceUnwrapper unwrapper_;
    std::optional<int64_t> highest_;
    std::array<Entry, kMaxNackOutstanding> entries_{}; // ascending by extended sequence
    std::size_t count_ = 0;
};

} // namespace rtc::rtp
