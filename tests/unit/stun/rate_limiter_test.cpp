#include "stun/rate_limiter.hpp"
#include "util/ip_address.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace rtc;
using namespace std::chrono_literals;
using rtc::stun::RateLimiter;
using rtc::stun::RateLimiterConfig;

namespace {
util::IpAddress ip(const char *text) {
    return *util::IpAddress::parse(text);
}
const RateLimiter::Clock::time_point kStart{std::chrono::seconds(1000)};
} // namespace

TEST_CASE("stun/rate_limiter: burst, then the refill rate") {
    RateLimiter limiter({10.0, 5.0, 1024, 64, 42});
    auto a = ip("198.51.100.1");
    int allowed = 0;
    for (int i = 0; i < 20; ++i)
        allowed += limiter.allow(a, kStart);
    CHECK(allowed == 5);                          // the burst
    CHECK_FALSE(limiter.allow(a, kStart + 50ms)); // half a token
    CHECK(limiter.allow(a, kStart + 100ms));      // one token after 100 ms at 10/s
    CHECK_FALSE(limiter.allow(a, kStart + 100ms));
    // A long pause refills only up to the burst.
    allowed = 0;
    for (int i = 0; i < 20; ++i)
        allowed += limiter.allow(a, kStart + 1h);
    CHECK(allowed == 5);
    // Time going backwards does not add tokens.
    CHECK_FALSE(limiter.allow(a, kStart));
    // Other sources have their own buckets.
    CHECK(limiter.allow(ip("198.51.100.2"), kStart + 1h));
}

TEST_CASE("stun/rate_limiter: IPv6 sources share a bucket per /64") {
    RateLimiter limiter({1.0, 2.0, 1024, 64, 7});
    CHECK(limiter.allow(ip("2001:db8:1:2::1"), kStart));
    CHECK(limiter.allow(ip("2001:db8:1:2:ffff::9"), kStart));
    CHECK_FALSE(limiter.allow(ip("2001:db8:1:2::77"), kStart));
    CHECK(limiter.allow(ip("2001:db8:1:3::1"), kStart)); // another /64
    CHECK(limiter.tracked() == 2);
}

TEST_CASE("stun/rate_limiter: the table never grows; spoofed floods evict the oldest") {
    RateLimiter limiter({1.0, 1.0, 64, 64, 99});
    CHECK(limiter.capacity() == 64);
    auto victim = ip("203.0.113.1");
    CHECK(limiter.allow(victim, kStart));
    CHECK_FALSE(limiter.allow(victim, kStart)); // bucket empty
    // 10,000 distinct (spoofed) sources, each seen later than the victim.
    for (uint32_t i = 0; i < 10000; ++i) {
        CHECK(limiter.allow(util::IpAddress::v4(0x0A000000u + i), kStart + 1ms));
        REQUIRE(limiter.tracked() <= limiter.capacity());
    }
    CHECK(limiter.tracked() == limiter.capacity());
    // The victim was evicted as the least recently seen, so it starts again with a full bucket.
    CHECK(limiter.allow(victim, kStart + 2ms));
}

TEST_CASE("stun/rate_limiter: IPv4-mapped sources count as their IPv4 address") {
    RateLimiter limiter({1.0, 1.0, 1024, 64, 3});
    CHECK(limiter.allow(ip("192.0.2.1"), kStart));
    CHECK_FALSE(limiter.allow(ip("::ffff:192.0.2.1"), kStart));
    CHECK(limiter.allow(ip("::ffff:192.0.2.2"), kStart)); // not grouped by the /64
    RateLimiter host({1.0, 1.0, 1024, 128, 3});
    CHECK(host.allow(ip("2001:db8::1"), kStart));
    CHECK(host.allow(ip("2001:db8::2"), kStart)); // /128: every address on its own
    RateLimiter wide({1.0, 1.0, 1024, 32, 3});
    CHECK(wide.allow(ip("2001:db8:1::1"), kStart));
    CHECK_FALSE(wide.allow(ip("2001:db8:2::1"), kStart)); // same /32
}
