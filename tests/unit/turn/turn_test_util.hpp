#pragma once
// What the TURN core's tests share: endpoint literals and the fixed clocks they run on.
#include "turn/allocation_table.hpp"
#include "util/ip_address.hpp"

#include <doctest/doctest.h>

#include <chrono>

namespace turn_test {

inline rtc::util::Endpoint ep(const char* text) {
    auto e = rtc::util::Endpoint::parse(text);
    REQUIRE(e);
    return *e;
}

// A steady time and a wall-clock time (REST expiry) every test starts from.
inline const rtc::turn::Clock::time_point kT0{std::chrono::seconds(1000)};
inline const auto kWall = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));

} // namespace turn_test
