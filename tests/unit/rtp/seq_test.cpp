// Sequence and timestamp wrap-around (RFC 3550 §5.1, A.1).
#include "rtp/seq.hpp"

#include <doctest/doctest.h>

using namespace rtc::rtp;

TEST_CASE("rtp: is_newer with 16-bit and 32-bit wrap") {
    CHECK(is_newer(2, 1));
    CHECK_FALSE(is_newer(1, 2));
    CHECK_FALSE(is_newer(5, 5));
    CHECK(is_newer(0, 65535));
    CHECK(is_newer(10, 65000));
    CHECK_FALSE(is_newer(65000, 10));
    CHECK(is_newer(0x7FFF, 0));
    CHECK_FALSE(is_newer(0x8000, 0));
    CHECK(seq_distance(1, 65535) == 2);
    CHECK(seq_distance(65535, 1) == -2);
    CHECK(is_newer_timestamp(5, 0xFFFFFFF0u));
    CHECK_FALSE(is_newer_timestamp(0xFFFFFFF0u, 5));
    CHECK(is_newer_timestamp(0x7FFFFFFFu, 0));
    CHECK_FALSE(is_newer_timestamp(0x80000000u, 0));
}

TEST_CASE("rtp: sequence unwrapper crosses the wrap both ways") {
    SequenceUnwrapper u;
    CHECK_FALSE(u.peek(1));
    const int64_t a = u.unwrap(65534);
    CHECK(u.unwrap(65535) == a + 1);
    CHECK(u.unwrap(0) == a + 2);
    CHECK(u.unwrap(1) == a + 3);
    CHECK(u.unwrap(65535) == a + 1); // late packet from before the wrap
    CHECK(*u.last() == a + 3);       // a late packet does not move the reference
    CHECK(*u.peek(3) == a + 5);
    CHECK(*u.last() == a + 3);
    // Many cycles forward in steps below half the space.
    int64_t prev = u.unwrap(1);
    uint16_t s = 1;
    for (int i = 0; i < 20; ++i) {
        s = static_cast<uint16_t>(s + 30000);
        const int64_t x = u.unwrap(s);
        CHECK(x == prev + 30000);
        prev = x;
    }
    CHECK(prev > 0);
    // First value of a fresh unwrapper leaves room for older packets.
    SequenceUnwrapper v;
    const int64_t first = v.unwrap(0);
    CHECK(v.unwrap(65535) == first - 1);
    CHECK(first - 1 >= 0);
}

TEST_CASE("rtp: timestamp unwrapper") {
    TimestampUnwrapper u;
    const int64_t a = u.unwrap(0xFFFFFF00u);
    CHECK(u.unwrap(0x00000100u) == a + 0x200);
    CHECK(u.unwrap(0xFFFFFFFFu) == a + 0xFF);
    CHECK(*u.last() == a + 0x200);
    u.reset();
    CHECK_FALSE(u.last());
}
