#include "responder.hpp"

namespace rtc::stun_tool {

Responder::Responder(const stun::BindingServer& server, StunMetrics& metrics,
                     std::optional<stun::RateLimiterConfig> rate_limit)
    // A response is at most 2.5 times its request (binding_server.hpp).
    : server_(server), metrics_(metrics), out_(kMaxRequest * 5 / 2 + 64) {
    if (rate_limit)
        limiter_.emplace(*rate_limit);
}

std::optional<Answer> Responder::answer(const stun::BindingRequest& request,
                                        std::chrono::steady_clock::time_point now) {
    metrics_.request(request.transport);
    auto outcome = server_.handle(request, out_);
    if (outcome.size == 0) {
        metrics_.outcome(request.transport, outcome);
        return std::nullopt;
    }
    // Only what would be sent is charged, so garbage cannot drain a source's allowance.
    if (limiter_ && !limiter_->allow(request.source.address, now)) {
        metrics_.drop(ShellDrop::RateLimited);
        return std::nullopt;
    }
    metrics_.outcome(request.transport, outcome);
    return Answer{std::span<const uint8_t>(out_.data(), outcome.size), outcome.send_from,
                  outcome.destination};
}

} // namespace rtc::stun_tool
