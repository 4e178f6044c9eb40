#include "stun_metrics.hpp"

namespace rtc::stun_tool {

std::string_view transport_name(stun::Transport t) {
    switch (t) {
    case stun::Transport::Udp:
        return "udp";
    case stun::Transport::Tcp:
        return "tcp";
    case stun::Transport::Tls:
        return "tls";
    case stun::Transport::Dtls:
        return "dtls";
    }
    return "udp";
}

namespace {
std::string_view shell_drop_name(ShellDrop d) {
    switch (d) {
    case ShellDrop::RateLimited:
        return "rate_limited";
    case ShellDrop::Truncated:
        return "truncated";
    case ShellDrop::SendFailed:
        return "send_failed";
    case ShellDrop::StreamFraming:
        return "stream_framing";
    case ShellDrop::Count:
        break;
    }
    return "other";
}
} // namespace

StunMetrics::StunMetrics(app::MetricsRegistry& registry) {
    constexpr std::string_view requests_help = "STUN messages received, by transport.";
    constexpr std::string_view responses_help = "STUN responses sent, by transport and code.";
    constexpr std::string_view drops_help = "Packets dropped without an answer, by reason.";
    for (std::size_t i = 0; i < kTransports; ++i) {
        std::string t(transport_name(static_cast<stun::Transport>(i)));
        requests_[i] =
            &registry.counter("rtc_stun_requests_total", requests_help, {{"transport", t}});
        success_[i] = &registry.counter("rtc_stun_responses_total", responses_help,
                                        {{"transport", t}, {"code", "200"}});
        bad_request_[i] = &registry.counter("rtc_stun_responses_total", responses_help,
                                            {{"transport", t}, {"code", "400"}});
        unknown_attribute_[i] = &registry.counter("rtc_stun_responses_total", responses_help,
                                                  {{"transport", t}, {"code", "420"}});
    }
    for (std::size_t i = 1; i < kDropReasons; ++i) { // 0 is DropReason::None
        auto reason = std::string(stun::to_string(static_cast<stun::DropReason>(i)));
        drops_[i] = &registry.counter("rtc_stun_dropped_total", drops_help, {{"reason", reason}});
    }
    for (std::size_t i = 0; i < shell_drops_.size(); ++i) {
        auto reason = std::string(shell_drop_name(static_cast<ShellDrop>(i)));
        shell_drops_[i] =
            &registry.counter("rtc_stun_dropped_total", drops_help, {{"reason", reason}});
    }
}

void StunMetrics::outcome(stun::Transport t, const stun::BindingOutcome& outcome) {
    if (outcome.size == 0) {
        auto reason = static_cast<std::size_t>(outcome.drop);
        if (reason < kDropReasons && drops_[reason])
            drops_[reason]->inc();
        return;
    }
    switch (outcome.error_code) {
    case 0:
        success_[index(t)]->inc();
        break;
    case 420:
        unknown_attribute_[index(t)]->inc();
        break;
    default:
        bad_request_[index(t)]->inc();
        break;
    }
}

} // namespace rtc::stun_tool
