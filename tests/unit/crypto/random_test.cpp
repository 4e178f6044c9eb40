#include "crypto/constant_time.hpp"
#include "crypto/random.hpp"

#include <doctest/doctest.h>

#include <array>
#include <thread>
#include <vector>

TEST_CASE("crypto/random: output differs between calls and threads") {
    std::array<uint8_t, 32> a{};
    std::array<uint8_t, 32> b{};
    rtc::crypto::random_bytes(a);
    rtc::crypto::random_bytes(b);
    CHECK(a != b);
    CHECK(a != std::array<uint8_t, 32>{});
    std::array<uint8_t, 32> c{};
    std::thread t([&] { rtc::crypto::random_bytes(c); });
    t.join();
    CHECK(c != a);
    CHECK(c != b);
    // More than one DRBG request's worth (1024 bytes) in a single call.
    std::vector<uint8_t> big(5000, 0);
    rtc::crypto::random_bytes(big);
    std::size_t zeros = 0;
    for (auto v : big)
        zeros += v == 0;
    CHECK(zeros < 100); // about 20 expected
    CHECK(rtc::crypto::random_u64() != rtc::crypto::random_u64());
}

TEST_CASE("crypto/constant_time: equality") {
    const std::array<uint8_t, 3> x = {1, 2, 3};
    const std::array<uint8_t, 3> y = {1, 2, 4};
    const std::array<uint8_t, 2> z = {1, 2};
    CHECK(rtc::crypto::constant_time_equal(x, x));
    CHECK_FALSE(rtc::crypto::constant_time_equal(x, y));
    CHECK_FALSE(rtc::crypto::constant_time_equal(x, z));
    CHECK(rtc::crypto::constant_time_equal({}, {}));
}
