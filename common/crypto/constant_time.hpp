#pragma once
// Comparison whose running time does not depend on where secret bytes differ (for MACs).
#include <cstddef>
#include <cstdint>
#include <span>

namespace rtc::crypto {

// The lengths are not secret: different lengths return false at once.
inline bool constant_time_equal(std::span<const uint8_t> a, std::span<const uint8_t> b) {
    if (a.size() != b.size())
        return false;
    volatile uint8_t diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
    return diff == 0;
}

} // namespace rtc::crypto
