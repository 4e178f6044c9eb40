#include "turn_metrics.hpp"

#include <cstring>
#include <string>

namespace rtc::turn_tool {

namespace {

// RFC 8656 §19 and RFC 8489 §14.8 codes a TURN server sends; anything else counts as "other".
constexpr std::array<uint16_t, 15> kErrorCodes = {400, 401, 403, 420, 437, 438, 440, 441,
                                                  442, 443, 446, 447, 486, 500, 508};

// TurnCounters (uint64_t) and Held (std::size_t) are structs of one integer type only; their
// fields are read by index.
static_assert(sizeof(turn::TurnCounters) % sizeof(uint64_t) == 0);
static_assert(sizeof(TurnMetrics::Held) % sizeof(std::size_t) == 0);

template <typename Struct, typename Field> std::size_t field(Field Struct::*member) {
    Struct s;
    return static_cast<std::size_t>(reinterpret_cast<const char*>(&(s.*member)) -
                                    reinterpret_cast<const char*>(&s)) /
           sizeof(Field);
}

const char* shell_drop_name(ShellDrop d) {
    switch (d) {
    case ShellDrop::Truncated:
        return "truncated";
    case ShellDrop::SendFailed:
        return "send_failed";
    case ShellDrop::StreamFraming:
        return "stream_framing";
    case ShellDrop::NoClient:
        return "client_gone";
    case ShellDrop::Count:
        break;
    }
    return "other";
}

} // namespace

void TurnMetrics::Snapshot::publish(const turn::TurnCounters& c, const Held& now) {
    std::array<uint64_t, kFields> values;
    std::memcpy(values.data(), &c, sizeof(c));
    for (std::size_t i = 0; i < kFields; ++i)
        fields[i].store(values[i], std::memory_order_relaxed);
    std::array<std::size_t, kHeld> gauges;
    std::memcpy(gauges.data(), &now, sizeof(now));
    for (std::size_t i = 0; i < kHeld; ++i)
        held[i].store(gauges[i], std::memory_order_relaxed);
}

TurnMetrics::TurnMetrics(app::MetricsRegistry& registry, std::size_t workers) {
    for (std::size_t i = 0; i < workers; ++i)
        snapshots_.push_back(std::make_unique<Snapshot>());
    using C = turn::TurnCounters;
    auto counter = [&](std::string_view name, std::string_view help, const app::Labels& labels,
                       uint64_t C::*member) {
        std::size_t f = field(member);
        registry.callback(name, help, app::MetricType::Counter, labels,
                          [this, f] { return static_cast<double>(sum(f)); });
    };
    auto gauge = [&](std::string_view name, std::string_view help, std::size_t Held::*member) {
        std::size_t f = field(member);
        registry.callback(name, help, app::MetricType::Gauge, {},
                          [this, f] { return static_cast<double>(sum_held(f)); });
    };
    gauge("rtc_turn_allocations", "Allocations held now.", &Held::allocations);
    gauge("rtc_turn_permissions", "Permissions installed now (RFC 8656 §9), over all allocations.",
          &Held::permissions);
    gauge("rtc_turn_channels", "Channels bound now (RFC 8656 §12), over all allocations.",
          &Held::channels);
    gauge("rtc_turn_tcp_connections",
          "RFC 6062 peer data connections now: connecting, waiting for ConnectionBind, or bound.",
          &Held::tcp_connections);
    gauge("rtc_turn_relay_sockets", "Relay sockets open now.", &Held::relay_sockets);
    counter("rtc_turn_requests_total", "STUN/TURN requests received.", {}, &C::requests);
    constexpr std::string_view alloc_help = "Allocations ended or created, by event.";
    counter("rtc_turn_allocation_events_total", alloc_help, {{"event", "created"}},
            &C::allocations_created);
    counter("rtc_turn_allocation_events_total", alloc_help, {{"event", "deleted"}},
            &C::allocations_deleted);
    counter("rtc_turn_allocation_events_total", alloc_help, {{"event", "expired"}},
            &C::allocations_expired);
    counter("rtc_turn_permissions_created_total",
            "Permissions installed by CreatePermission (refreshes and ChannelBind not counted).",
            {}, &C::permissions_created);
    counter("rtc_turn_channels_bound_total", "Channel bindings made or refreshed.", {},
            &C::channels_bound);
    constexpr std::string_view packets_help = "Packets relayed, by direction.";
    constexpr std::string_view bytes_help = "Payload bytes relayed, by direction.";
    counter("rtc_turn_relayed_packets_total", packets_help, {{"direction", "to_peer"}},
            &C::packets_to_peer);
    counter("rtc_turn_relayed_packets_total", packets_help, {{"direction", "to_client"}},
            &C::packets_to_client);
    counter("rtc_turn_relayed_bytes_total", bytes_help, {{"direction", "to_peer"}},
            &C::bytes_to_peer);
    counter("rtc_turn_relayed_bytes_total", bytes_help, {{"direction", "to_client"}},
            &C::bytes_to_client);
    constexpr std::string_view auth_help = "Authentication outcomes other than success.";
    counter("rtc_turn_auth_total", auth_help, {{"result", "challenge"}}, &C::challenges);
    counter("rtc_turn_auth_total", auth_help, {{"result", "failure"}}, &C::auth_failures);
    counter("rtc_turn_auth_total", auth_help, {{"result", "stale_nonce"}}, &C::stale_nonces);
    counter("rtc_turn_quota_rejections_total", "Requests refused by a quota (486, 508).", {},
            &C::quota_rejections);
    counter("rtc_turn_forbidden_peers_total", "Peers refused by the peer filter (403).", {},
            &C::forbidden_peers);
    constexpr std::string_view drops_help = "Packets dropped without an answer, by reason.";
    counter("rtc_turn_dropped_total", drops_help, {{"reason", "malformed"}}, &C::dropped_malformed);
    counter("rtc_turn_dropped_total", drops_help, {{"reason", "unexpected"}},
            &C::dropped_unexpected);
    counter("rtc_turn_dropped_total", drops_help, {{"reason", "challenge_rate_limited"}},
            &C::challenges_rate_limited);
    counter("rtc_turn_dropped_total", drops_help, {{"reason", "no_permission"}},
            &C::dropped_no_permission);
    counter("rtc_turn_dropped_total", drops_help, {{"reason", "bandwidth"}}, &C::dropped_bandwidth);
    // RFC 6062 TCP relaying.
    constexpr std::string_view tcp_help = "RFC 6062 peer data connections, by event.";
    counter("rtc_turn_tcp_connections_total", tcp_help, {{"event", "connect"}}, &C::tcp_connects);
    counter("rtc_turn_tcp_connections_total", tcp_help, {{"event", "connect_failure"}},
            &C::tcp_connect_failures);
    counter("rtc_turn_tcp_connections_total", tcp_help, {{"event", "accepted"}},
            &C::tcp_connections_accepted);
    counter("rtc_turn_tcp_connections_total", tcp_help, {{"event", "refused"}},
            &C::tcp_connections_refused);
    counter("rtc_turn_tcp_connections_total", tcp_help, {{"event", "bound"}},
            &C::tcp_connections_bound);
    counter("rtc_turn_tcp_connections_total", tcp_help, {{"event", "bind_timeout"}},
            &C::tcp_bind_timeouts);
    tcp_idle_timeouts_ =
        &registry.counter("rtc_turn_tcp_connections_total", tcp_help, {{"event", "idle_timeout"}});
    binds_forwarded_ = &registry.counter(
        "rtc_turn_tcp_binds_forwarded_total",
        "ConnectionBind requests passed to the worker thread that issued the connection id.", {});
    for (std::size_t i = 0; i < shell_drops_.size(); ++i)
        shell_drops_[i] =
            &registry.counter("rtc_turn_dropped_total", drops_help,
                              {{"reason", shell_drop_name(static_cast<ShellDrop>(i))}});
    constexpr std::string_view errors_help = "Error responses sent, by code.";
    for (std::size_t i = 0; i < kErrorCodes.size(); ++i)
        errors_[i] = &registry.counter("rtc_turn_error_responses_total", errors_help,
                                       {{"code", std::to_string(kErrorCodes[i])}});
    errors_[kErrorCodes.size()] =
        &registry.counter("rtc_turn_error_responses_total", errors_help, {{"code", "other"}});
}

void TurnMetrics::error(uint16_t code) {
    std::size_t i = 0;
    while (i < kErrorCodes.size() && kErrorCodes[i] != code)
        ++i;
    errors_[i]->inc();
}

uint64_t TurnMetrics::sum_held(std::size_t f) const {
    uint64_t n = 0;
    for (const auto& s : snapshots_)
        n += s->held[f].load(std::memory_order_relaxed);
    return n;
}

uint64_t TurnMetrics::sum(std::size_t f) const {
    uint64_t n = 0;
    for (const auto& s : snapshots_)
        n += s->fields[f].load(std::memory_order_relaxed);
    return n;
}

} // namespace rtc::turn_tool
