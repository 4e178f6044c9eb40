#pragma once
// Helpers shared by the STUN unit tests.
#include "util/bytes.hpp"
#include "util/hex.hpp"
#include "util/ip_address.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace rtc::stun::test {

// Hex text (whitespace allowed) to bytes; fails the test on malformed text.
inline std::vector<uint8_t> hex(std::string_view text) {
    auto bytes = util::from_hex(text);
    REQUIRE(bytes.has_value());
    return *bytes;
}

inline std::vector<uint8_t> to_vector(std::span<const uint8_t> s) {
    return {s.begin(), s.end()};
}

inline util::Endpoint endpoint(std::string_view text) {
    auto e = util::Endpoint::parse(text);
    REQUIRE(e.has_value());
    return *e;
}

} // namespace rtc::stun::test
