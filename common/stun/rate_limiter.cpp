#include "stun/rate_limiter.hpp"

#include "util/bytes.hpp"

#include <algorithm>

namespace rtc::stun {

RateLimiter::RateLimiter(const RateLimiterConfig &config) : config_(config) {
    config_.rate = std::max(config_.rate, 0.0);
    config_.burst = std::max(config_.burst, 1.0);
    config_.ipv6_prefix = std::clamp(config_.ipv6_prefix, 1u, 128u);
    // A power-of-two number of sets, so the set index is a mask.
    std::size_t wanted = std::max<std::size_t>(1, (config_.capacity + kWays - 1) / kWays);
    while (sets_ < wanted)
        sets_ <<= 1;
    entries_.resize(sets_ * kWays);
}

RateLimiter::Key RateLimiter::key_of(const util::IpAddress &source) const {
    const uint8_t *b = source.data();
    auto load64 = [](const uint8_t *p) {
        uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v = (v << 8) | p[i];
        return v;
    };
    if (source.is_v4())
        return Key{0, 0x0000FFFF00000000ull | util::load_u32(b)};
    Key k{load64(b), load64(b + 8)};
    if (k.hi == 0 && (k.lo >> 32) == 0xFFFF)
        return k; // IPv4-mapped (a dual-stack socket): one bucket per IPv4 address
    const unsigned prefix = config_.ipv6_prefix;
    if (prefix < 64) {
        k.hi &= ~(~0ull >> prefix);
        k.lo = 0;
    } else if (prefix < 128) {
        k.lo &= ~(~0ull >> (prefix - 64));
    }
    return k;
}

std::size_t RateLimiter::set_of(const Key &key) const {
    // splitmix64-style mixing, keyed with the seed.
    auto mix = [](uint64_t h) {
        h += 0x9E3779B97F4A7C15ull;
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
        return h ^ (h >> 31);
    };
    uint64_t h = mix(config_.seed ^ key.hi) ^ key.lo;
    return static_cast<std::size_t>(mix(h)) & (sets_ - 1);
}

bool RateLimiter::allow(const util::IpAddress &source, Clock::time_point now) {
    const auto key = key_of(source);
    Entry *set = &entries_[set_of(key) * kWays];
    Entry *victim = nullptr;
    for (std::size_t i = 0; i < kWays; ++i) {
        Entry &e = set[i];
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
