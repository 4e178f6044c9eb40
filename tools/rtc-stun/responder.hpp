#pragma once
// What one worker thread needs to answer a STUN request on any transport: the shared Binding
// core, this thread's rate limiter and output buffer, and the metrics. UDP and TCP/TLS both
// answer through it, so counting and limiting are the same everywhere.
#include "stun/binding_server.hpp"
#include "stun/rate_limiter.hpp"
#include "stun_metrics.hpp"

#include "app/listen_error.hpp"

#include <chrono>
#include <optional>
#include <span>
#include <vector>

namespace rtc::stun_tool {

// What to say when a port rtc-stun wants is taken.
inline constexpr std::string_view kInUseHint = app::kStunTurnInUseHint;

struct Answer {
    std::span<const uint8_t> bytes; // valid until the next answer() on this thread
    uint8_t send_from = 0;          // RFC 5780 socket index
    util::Endpoint destination;
};

class Responder {
public:
    // Requests longer than this are dropped (a Binding request is a few hundred bytes at most).
    static constexpr std::size_t kMaxRequest = 4096;

    Responder(const stun::BindingServer& server, StunMetrics& metrics,
              std::optional<stun::RateLimiterConfig> rate_limit);

    // Counts the request and what became of it; nullopt when nothing is to be sent.
    std::optional<Answer> answer(const stun::BindingRequest& request,
                                 std::chrono::steady_clock::time_point now);
    StunMetrics& metrics() { return metrics_; }

private:
    const stun::BindingServer& server_;
    StunMetrics& metrics_;
    std::optional<stun::RateLimiter> limiter_;
    std::vector<uint8_t> out_; // one response at a time, allocated once
};

} // namespace rtc::stun_tool
