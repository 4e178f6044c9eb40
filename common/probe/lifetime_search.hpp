#pragma once
// The search for a NAT's UDP binding lifetime (RFC 5780 §4.6): which idle times to test, in
// rounds of probes that run side by side, each on its own fresh binding. A probe waits its idle
// time after the binding was made and then checks whether the binding still forwards.
//
// Round 1 tests 0 (a control: the check must work on a fresh binding), then 1 s, 2 s, 4 s, ...
// and the maximum; later rounds split the interval between the longest wait seen alive and the
// shortest seen dead, until it is narrower than max(500 ms, a tenth of the lifetime). Bindings
// expire monotonically, so once a wait is dead every longer wait of the round is dead too and
// need not be waited for.
#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

namespace rtc::probe {

class LifetimeSearch {
public:
    using milliseconds = std::chrono::milliseconds;
    static constexpr std::size_t kPointsPerRound = 7; // waits per refining round
    static constexpr unsigned kMaxRounds = 4;

    explicit LifetimeSearch(milliseconds max);

    // The waits of the current round, ascending. Empty once finished().
    const std::vector<milliseconds>& waits() const { return waits_; }
    // The result of one wait of the current round.
    void record(std::size_t index, bool alive);
    // Whether the wait at `index` still matters (no shorter wait was seen dead).
    bool needed(std::size_t index) const;
    // Every needed wait of the round has a result.
    bool round_settled() const;
    // Moves on once the round is settled: starts the next round, or finishes.
    void next_round();

    bool finished() const { return finished_; }
    unsigned round() const { return round_; }
    // Once finished: the longest wait seen alive; nullopt when even the control failed.
    std::optional<milliseconds> lifetime() const { return lifetime_; }
    // Alive at the maximum: the real lifetime is longer.
    bool capped() const { return capped_; }
    // The control (wait 0) failed: the check itself does not work here.
    bool control_failed() const { return control_failed_; }

private:
    void start_round(milliseconds lo, milliseconds hi);
    void finish(std::optional<milliseconds> lifetime);

    milliseconds max_;
    std::vector<milliseconds> waits_;
    std::vector<std::optional<bool>> results_;
    milliseconds alive_{0};            // longest wait seen alive so far
    std::optional<milliseconds> dead_; // shortest wait seen dead so far
    unsigned round_ = 1;
    bool finished_ = false;
    bool capped_ = false;
    bool control_failed_ = false;
    std::optional<milliseconds> lifetime_;
};

} // namespace rtc::probe
