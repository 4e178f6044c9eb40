#pragma once
// A fixed-size log-linear latency histogram: 32 sub-buckets per power of two (about 3% relative
// error), nanoseconds up to 2^40 (18 minutes). Recording never allocates.
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace rtc::bench {

class LatencyHistogram {
public:
    static constexpr int kSubBits = 5;
    static constexpr int kSubBuckets = 1 << kSubBits;
    static constexpr int kMaxExponent = 40;

    void record(int64_t nanoseconds) {
        uint64_t v = nanoseconds < 0 ? 0 : static_cast<uint64_t>(nanoseconds);
        ++counts_[index_of(v)];
        ++total_;
        if (v > max_)
            max_ = v;
    }

    void merge(const LatencyHistogram& other) {
        for (std::size_t i = 0; i < counts_.size(); ++i)
            counts_[i] += other.counts_[i];
        total_ += other.total_;
        if (other.max_ > max_)
            max_ = other.max_;
    }

    uint64_t count() const { return total_; }
    uint64_t max() const { return max_; }

    // The value below which a fraction q (0..1) of the samples fall (bucket upper bound).
    uint64_t percentile(double q) const {
        if (total_ == 0)
            return 0;
        auto rank = static_cast<uint64_t>(q * static_cast<double>(total_));
        if (rank >= total_)
            rank = total_ - 1;
        uint64_t seen = 0;
        for (std::size_t i = 0; i < counts_.size(); ++i) {
            seen += counts_[i];
            if (seen > rank) {
                uint64_t upper = upper_bound_of(i);
                return upper < max_ ? upper : max_;
            }
        }
        return max_;
    }

private:
    static std::size_t index_of(uint64_t v) {
        if (v < kSubBuckets)
            return static_cast<std::size_t>(v);
        int exponent = std::bit_width(v) - 1 - kSubBits; // >= 0 here
        if (exponent >= kMaxExponent)
            return kBuckets - 1;
        auto sub = static_cast<std::size_t>((v >> exponent) & (kSubBuckets - 1));
        return static_cast<std::size_t>(exponent + 1) * kSubBuckets + sub;
    }

    static uint64_t upper_bound_of(std::size_t index) {
        if (index < kSubBuckets)
            return index;
        uint64_t exponent = index / kSubBuckets - 1;
        uint64_t sub = index % kSubBuckets;
        return ((kSubBuckets + sub + 1) << exponent) - 1;
    }

    static constexpr std::size_t kBuckets = (kMaxExponent + 1) * kSubBuckets;
    std::array<uint64_t, kBuckets> counts_{};
    uint64_t total_ = 0;
    uint64_t max_ = 0;
};

} // namespace rtc::bench
