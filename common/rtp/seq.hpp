#pragma once
// Wrap-around arithmetic on RTP sequence numbers and timestamps (RFC 3550 §5.1, A.1).
#include <cstdint>
#include <optional>

namespace rtc::rtp {

// True when a is after b in modular order (forward distance below half the space).
constexpr bool is_newer(uint16_t a, uint16_t b) {
    return a != b && static_cast<uint16_t>(a - b) < 0x8000;
}
constexpr bool is_newer_timestamp(uint32_t a, uint32_t b) {
    return a != b && static_cast<uint32_t>(a - b) < 0x80000000u;
}
// Signed shortest distance from b to a.
constexpr int32_t seq_distance(uint16_t a, uint16_t b) {
    return static_cast<int16_t>(static_cast<uint16_t>(a - b));
}

// Extends 16-bit sequence numbers to 64 bits, relative to the newest value seen. The first value
// maps to itself plus 2^16 so that slightly older packets still unwrap to positive numbers.
class SequenceUnwrapper {
public:
    // Unwraps and, if newer, advances the reference.
    int64_t unwrap(uint16_t value);
    // Unwraps without changing state (nullopt before the first unwrap()).
    std::optional<int64_t> peek(uint16_t value) const;
    std::optional<int64_t> last() const { return last_; }
    void reset() { last_.reset(); }

private:
    std::optional<int64_t> last_;
};

class TimestampUnwrapper {
public:
    int64_t unwrap(uint32_t value);
    std::optional<int64_t> peek(uint32_t value) const;
    std::optional<int64_t> last() const { return last_; }
    void reset() { last_.reset(); }

private:
    std::optional<int64_t> last_;
};

} // namespace rtc::rtp
