#pragma once
// The counters rtc-stun exports (man/rtc-stun.1.scd, METRICS), resolved once at startup so the
// packet path only indexes arrays.
#include "app/metrics.hpp"
#include "stun/binding_server.hpp"

#include <array>

namespace rtc::stun_tool {

inline constexpr std::size_t kTransports = 4; // stun::Transport
inline constexpr std::size_t kDropReasons =
    static_cast<std::size_t>(stun::DropReason::BufferTooSmall) + 1;

// Drops that happen in the shell rather than in the Binding core.
enum class ShellDrop : uint8_t { RateLimited, Truncated, SendFailed, StreamFraming, Count };

class StunMetrics {
public:
    explicit StunMetrics(app::MetricsRegistry& registry);

    void request(stun::Transport t) { requests_[index(t)]->inc(); }
    // Counts what BindingServer::handle decided.
    void outcome(stun::Transport t, const stun::BindingOutcome& outcome);
    void drop(ShellDrop reason) { shell_drops_[static_cast<std::size_t>(reason)]->inc(); }

private:
    static std::size_t index(stun::Transport t) { return static_cast<std::size_t>(t); }
    std::array<app::Counter*, kTransports> requests_{};
    std::array<app::Counter*, kTransports> success_{};
    std::array<app::Counter*, kTransports> bad_request_{};
    std::array<app::Counter*, kTransports> unknown_attribute_{};
    std::array<app::Counter*, kDropReasons> drops_{};
    std::array<app::Counter*, static_cast<std::size_t>(ShellDrop::Count)> shell_drops_{};
};

std::string_view transport_name(stun::Transport t);

} // namespace rtc::stun_tool
