#include "rtp/seq.hpp"

namespace rtc::rtp {

namespace {
constexpr int64_t kSeqStart = int64_t{1} << 16;
constexpr int64_t kTsStart = int64_t{1} << 32;
} // namespace

std::optional<int64_t> SequenceUnwrapper::peek(uint16_t value) const {
    if (!last_)
        return std::nullopt;
    const uint16_t last16 = static_cast<uint16_t>(*last_);
    return *last_ + seq_distance(value, last16);
}

int64_t SequenceUnwrapper::unwrap(uint16_t value) {
    int64_t out = last_ ? *peek(value) : kSeqStart + value;
    if (!last_ || out > *last_)
        last_ = out;
    return out;
}

std::optional<int64_t> TimestampUnwrapper::peek(uint32_t value) const {
    if (!last_)
        return std::nullopt;
    const uint32_t last32 = static_cast<uint32_t>(*last_);
    return *last_ + static_cast<int32_t>(value - last32);
}

int64_t TimestampUnwrapper::unwrap(uint32_t value) {
    int64_t out = last_ ? *peek(value) : kTsStart + value;
    if (!last_ || out > *last_)
        last_ = out;
    return out;
}

} // namespace rtc::rtp
