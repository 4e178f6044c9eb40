#include "rtp/nack_tracker.hpp"

#include <algorithm>

namespace rtc::rtp {

NackTracker::NackTracker(NackConfig config) : config_(config) {
    config_.max_outstanding =
        std::clamp<std::size_t>(config_.max_outstanding, 1, kMaxNackOutstanding);
    if (config_.max_retries < 1)
        config_.max_retries = 1;
}

void NackTracker::reset() {
    unwrapper_.reset();
    highest_.reset();
    count_ = 0;
}

void NackTracker::remove_at(std::size_t index) {
    std::copy(entries_.begin() + static_cast<std::ptrdiff_t>(index) + 1,
              entries_.begin() + static_cast<std::ptrdiff_t>(count_),
              entries_.begin() + static_cast<std::ptrdiff_t>(index));
    --count_;
}

void NackTracker::add_missing(int64_t extended, TimePoint now) {
    if (count_ >= config_.max_outstanding)
        remove_at(0); // bounded: forget the oldest
    entries_[count_++] = Entry{extended, now + config_.first_delay, 0};
}

void NackTracker::on_packet(uint16_t sequence, TimePoint now) {
    const int64_t ext = unwrapper_.unwrap(sequence);
    if (!highest_) {
        highest_ = ext;
        return;
    }
    if (ext > *highest_) {
        if (ext - *highest_ > config_.reset_jump) {
            count_ = 0; // stream jumped: what was missing is not coming back
            highest_ = ext;
            return;
        }
        const auto cap = static_cast<int64_t>(config_.max_outstanding);
        for (int64_t s = std::max(*highest_ + 1, ext - cap); s < ext; ++s)
            add_missing(s, now);
        highest_ = ext;
        return;
    }
    // Late or retransmitted: no longer missing.
    auto begin = entries_.begin();
    auto end = begin + static_cast<std::ptrdiff_t>(count_);
    auto it =
        std::lower_bound(begin, end, ext, [](const Entry& e, int64_t v) { return e.extended < v; });
    if (it != end && it->extended == ext)
        remove_at(static_cast<std::size_t>(it - begin));
}

std::size_t NackTracker::due(TimePoint now, std::span<uint16_t> out) {
    std::size_t n = 0;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < count_; ++i) {
        Entry e = entries_[i];
        if (e.next_send <= now && n < out.size()) {
            out[n++] = static_cast<uint16_t>(e.extended);
            ++e.retries;
            e.next_send = now + config_.retry_interval;
        }
        if (e.retries < config_.max_retries)
            entries_[kept++] = e; // else: last NACK sent, give up on it
    }
    count_ = kept;
    return n;
}

std::optional<NackTracker::TimePoint> NackTracker::next_deadline() const {
    std::optional<TimePoint> best;
    for (std::size_t i = 0; i < count_; ++i)
        if (!best || entries_[i].next_send < *best)
            best = entries_[i].next_send;
    return best;
}

} // namespace rtc::rtp
