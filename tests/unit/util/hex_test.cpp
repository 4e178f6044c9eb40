#include "util/hex.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

TEST_CASE("hex: round trip and whitespace") {
    const std::vector<uint8_t> bytes = {0x00, 0x01, 0xab, 0xff};
    CHECK(rtc::util::to_hex(bytes) == "0001abff");
    auto back = rtc::util::from_hex("00 01\n AB ff");
    REQUIRE(back);
    CHECK(*back == bytes);
    CHECK(rtc::util::from_hex("")->empty());
}

TEST_CASE("hex: malformed text is rejected") {
    CHECK_FALSE(rtc::util::from_hex("abc"));
    CHECK_FALSE(rtc::util::from_hex("0g"));
    CHECK_FALSE(rtc::util::from_hex("0 1")); // a byte split by a space
    CHECK_FALSE(rtc::util::from_hex("0x01"));
    std::array<uint8_t, 2> out{};
    CHECK(rtc::util::from_hex("beef", out) == 2u);
    CHECK(out[0] == 0xbe);
    CHECK_FALSE(rtc::util::from_hex("beefee", out)); // does not fit
}
