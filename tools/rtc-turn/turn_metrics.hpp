#pragma once
// The metrics rtc-turn exports (man/rtc-turn.1.scd, METRICS). Each worker thread's TurnServer
// keeps plain counters; the worker copies them into its Snapshot (relaxed atomics) after every
// batch and timer tick, and a scrape sums the snapshots. Shell-side events (errors by code,
// drops in the shell) are sharded app::Counters bumped directly.
#include "app/metrics.hpp"
#include "turn/server.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace rtc::turn_tool {

enum class ShellDrop : uint8_t { Truncated, SendFailed, StreamFraming, NoClient, Count };

class TurnMetrics {
public:
    static constexpr std::size_t kFields = sizeof(turn::TurnCounters) / sizeof(uint64_t);

    // What a worker holds now (the live gauges).
    struct Held {
        std::size_t allocations = 0;
        std::size_t permissions = 0;
        std::size_t channels = 0;
        std::size_t tcp_connections = 0; // RFC 6062 peer data connections
        std::size_t relay_sockets = 0;
    };
    static constexpr std::size_t kHeld = sizeof(Held) / sizeof(std::size_t);

    struct Snapshot {
        std::array<std::atomic<uint64_t>, kFields> fields{};
        std::array<std::atomic<uint64_t>, kHeld> held{};
        void publish(const turn::TurnCounters& c, const Held& now);
    };

    TurnMetrics(app::MetricsRegistry& registry, std::size_t workers);

    Snapshot& snapshot(std::size_t worker) { return *snapshots_.at(worker); }
    // An error response the core sent (ClientAction::error_code).
    void error(uint16_t code);
    void drop(ShellDrop reason) { shell_drops_[static_cast<std::size_t>(reason)]->inc(); }
    // RFC 6062: a ConnectionBind handed to another worker thread.
    void bind_forwarded() { binds_forwarded_->inc(); }
    // RFC 6062: a data connection pair closed by --tcp-idle-timeout.
    void tcp_idle_timeout() { tcp_idle_timeouts_->inc(); }

private:
    uint64_t sum(std::size_t field) const;
    uint64_t sum_held(std::size_t field) const;

    std::vector<std::unique_ptr<Snapshot>> snapshots_;
    std::array<app::Counter*, 16> errors_{}; // by kErrorCodes index, the last one "other"
    std::array<app::Counter*, static_cast<std::size_t>(ShellDrop::Count)> shell_drops_{};
    app::Counter* binds_forwarded_ = nullptr;
    app::Counter* tcp_idle_timeouts_ = nullptr;
};

} // namespace rtc::turn_tool
