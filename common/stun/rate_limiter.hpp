#pragma once
// Per-source token buckets ("at most N responses per second, bursts of B") in a fixed-size
// table: memory is allocated once, and sources that do not fit evict the least recently seen
// source of their hash set (8-way set-associative), so spoofed floods cannot grow it. The hash is
// keyed with a seed; pass a random one so that a sender cannot aim at one set. Not thread-safe:
// use one per worker thread. Time is passed in (no clock reads).
#include "util/ip_address.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace rtc::stun {

struct RateLimiterConfig {
    double rate = 20.0;           // tokens added per second
    double burst = 20.0;          // bucket size (and the allowance of a new source)
    std::size_t capacity = 65536; // sources tracked (rounded up to a multiple of 8)
    unsigned ipv6_prefix = 64;    // IPv6 sources are grouped by this prefix (1..128);
                                  // IPv4 and IPv4-mapped sources count per address
    uint64_t seed = 0;            // hash key
};

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::size_t kWays = 8;

    explicit RateLimiter(const RateLimiterConfig &config);

    // Takes one token from the source's bucket; false when it is empty.
    bool allow(const util::IpAddress &source, Clock::time_point now);

    std::size_t tracked() const { return tracked_; }
    std::size_t capacity() const { return entries_.size(); }

private:
    // The (prefix of the) address as 128 bits; IPv4 as its IPv4-mapped IPv6 form.
    struct Key {
        uint64_t hi = 0;
        uint64_t lo = 0;
        bool operator==(const Key &) const = default;
    };
    struct Entry {
        Key key;
        Clock::time_point last{};
        double tokens = 0;
        bool used = false;
    };
    Key key_of(const util::IpAddress &source) const;
    std::size_t set_of(const Key &key) const;

    RateLimiterConfig config_;
    std::vector<Entry> entries_;
    std::size_t sets_ = 1;
    std::size_t tracked_ = 0;
};

} // namespace rtc::stun
