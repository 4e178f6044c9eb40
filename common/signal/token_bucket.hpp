#pragma once
// A token bucket (rate r per second, depth b): a burst of b, then r per second on average.
// Rate and depth are passed on each call so a per-connection bucket is 16 bytes.
#include <algorithm>
#include <chrono>

namespace rtc::signal {

template <class TimePoint> class TokenBucket {
public:
    TokenBucket(double depth, TimePoint now) : tokens_(depth), last_(now) {}

    // Takes one token if there is one. A rate <= 0 means unlimited.
    bool take(double rate, double depth, TimePoint now) {
        if (rate <= 0)
            return true;
        if (now > last_) {
            const double elapsed = std::chrono::duration<double>(now - last_).count();
            tokens_ = std::min(std::max(depth, 1.0), tokens_ + elapsed * rate);
            last_ = now;
        }
        if (tokens_ < 1.0)
            return false;
        tokens_ -= 1.0;
        return true;
    }

private:
    double tokens_;
    TimePoint last_;
};

} // namespace rtc::signal
