#include "stun/rate_limiter.hpp"

#include <algorithm>
#include <array>

namespace rtc::stun {

RateLimiter::RateLimiter(const RateLimiterConfig& config) : config_(config) {
    config_.rate = std::max(config_.rate, 0.0);
    config_.burst = std::max(config_.burst, 1.0);
    config_.ipv6_prefix = std::clamp(config_.ipv6_prefix, 1u, 128u);
    // A power-of-two number of sets, so the set index is a mask.
    std::size_t wanted = std::max<std::size_t>(1, (config_.capacity + kWays - 1) / kWays);
    while (sets_ < wanted)
        sets_ <<= 1;
    entries_.resize(sets_ * kWays);
}

util::IpAddress RateLimiter::key_of(const util::IpAddress& source) const {
    if (source.is_v4())
        return source;
    std::array<uint8_t, 16> bytes{};
    for (unsigned i = 0; i < 16; ++i) {
        unsigned bits = config_.ipv6_prefix > 8 * i ? std::min(8u, config_.ipv6_prefix - 8 * i) : 0;
        uint8_t mask = static_cast<uint8_t>(0xFF00u >> bits);
        bytes[i] = source.data()[i] & mask;
    }
    return util::IpAddress::v6(bytes);
}

std::size_t RateLimiter::set_of(const util::IpAddress& key) const {
    // splitmix64-style mixing of the seeded address hash.
    uint64_t h = config_.seed ^ static_cast<uint64_t>(util::hash_value(key));
    h += 0x9E3779B97F4A7C15ull;
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    h ^= h >> 31;
    return static_cast<std::size_t>(h) & (sets_ - 1);
}

bool RateLimiter::allow(const util::IpAddress& source, Clock::time_point now) {
    const auto key = key_of(source);
    Entry* set = &entries_[set_of(key) * kWays];
    Entry* victim = nullptr;
    for (std::size_t i = 0; i < kWays; ++i) {
        Entry& e = set[i];
        if (e.used && e.key == key) {
            if (now > e.last) {
                std::chrono::duration<double> elapsed = now - e.last;
                e.tokens = std::min(config_.burst, e.tokens + elapsed.count() * config_.rate);
                e.last = now;
            }
            if (e.tokens < 1.0)
                return false;
            e.tokens -= 1.0;
            return true;
        }
        if (!e.used) {
            if (victim == nullptr || victim->used)
                victim = &e;
        } else if (victim == nullptr || (victim->used && e.last < victim->last)) {
            victim = &e;
        }
    }
    if (!victim->used)
        ++tracked_;
    *victim = Entry{key, now, config_.burst - 1.0, true};
    return true;
}

} // namespace rtc::stun
