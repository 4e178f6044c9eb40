#include "probe/lifetime_search.hpp"

#include <algorithm>

namespace rtc::probe {

LifetimeSearch::LifetimeSearch(milliseconds max) : max_(std::max(max, milliseconds(1000))) {
    waits_.push_back(milliseconds(0)); // control
    for (milliseconds w(1000); w < max_; w *= 2)
        waits_.push_back(w);
    waits_.push_back(max_);
    results_.assign(waits_.size(), std::nullopt);
}

void LifetimeSearch::start_round(milliseconds lo, milliseconds hi) {
    waits_.clear();
    const auto step = (hi - lo) / static_cast<int64_t>(kPointsPerRound + 1);
    for (std::size_t i = 1; i <= kPointsPerRound; ++i) {
        auto w = lo + step * static_cast<int64_t>(i);
        if (w > lo && w < hi && (waits_.empty() || w > waits_.back()))
            waits_.push_back(w);
    }
    results_.assign(waits_.size(), std::nullopt);
}

void LifetimeSearch::record(std::size_t index, bool alive) {
    if (index < results_.size())
        results_[index] = alive;
}

bool LifetimeSearch::needed(std::size_t index) const {
    for (std::size_t i = 0; i < index && i < results_.size(); ++i)
        if (results_[i] == false)
            return false;
    return index < results_.size();
}

bool LifetimeSearch::round_settled() const {
    for (std::size_t i = 0; i < results_.size(); ++i) {
        if (results_[i] == false)
            return true; // everything longer is dead
        if (!results_[i])
            return false;
    }
    return true;
}

void LifetimeSearch::next_round() {
    if (finished_ || !round_settled())
        return;
    for (std::size_t i = 0; i < results_.size(); ++i) {
        if (results_[i] == false) {
            dead_ = dead_ ? std::min(*dead_, waits_[i]) : waits_[i];
            break;
        }
        alive_ = std::max(alive_, waits_[i]);
    }
    if (round_ == 1 && !results_.empty() && results_.front() == false) {
        control_failed_ = true;
        finish(std::nullopt);
        return;
    }
    if (!dead_) {
        // Never seen dead, up to the maximum: the lifetime is longer than that.
        capped_ = true;
        finish(alive_);
        return;
    }
    const auto resolution = std::max(milliseconds(500), alive_ / 10);
    if (*dead_ - alive_ <= resolution || round_ >= kMaxRounds) {
        finish(alive_);
        return;
    }
    ++round_;
    start_round(alive_, *dead_);
    if (waits_.empty()) // the interval cannot be split further
        finish(alive_);
}

void LifetimeSearch::finish(std::optional<milliseconds> lifetime) {
    lifetime_ = lifetime;
    finished_ = true;
    waits_.clear();
    results_.clear();
}

} // namespace rtc::probe
