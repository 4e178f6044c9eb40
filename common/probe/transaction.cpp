#include "probe/transaction.hpp"

#include <algorithm>

namespace rtc::probe {

RetransmitPolicy policy_for_timeout(milliseconds timeout, bool reliable) {
    RetransmitPolicy p;
    p.reliable = reliable;
    p.rto = std::clamp(timeout / 4, kClockGranularity, kDefaultRto);
    p.bound = timeout;
    return p;
}

milliseconds rto_from_rtt(Clock::duration rtt, milliseconds ceiling) {
    const auto r = std::max(rtt, Clock::duration::zero());
    // RFC 6298 §2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, K * RTTVAR) with K = 4.
    const Clock::duration g = kClockGranularity;
    const auto rto = std::chrono::ceil<milliseconds>(r + std::max(g, 2 * r));
    return std::clamp(rto, kClockGranularity, std::max(ceiling, kClockGranularity));
}

milliseconds schedule_length(const RetransmitPolicy& p) {
    if (p.reliable)
        return p.reliable_timeout;
    // Requests at 0, RTO, 3 RTO, ..., (2^(Rc-1) - 1) RTO, then Rm * RTO (RFC 8489 §6.2.1).
    const unsigned rc = std::clamp(p.max_requests, 1u, 30u);
    const int64_t last = (int64_t{1} << (rc - 1)) - 1;
    return p.rto * last + p.rto * p.last_wait_factor;
}

Retransmitter::Retransmitter(const RetransmitPolicy& policy, TimePoint start)
    : start_(start), last_sent_(start), next_send_(start),
      rto_(std::max(policy.rto, milliseconds(1))),
      max_requests_(policy.reliable ? 1 : std::clamp(policy.max_requests, 1u, 30u)) {
    milliseconds length = schedule_length(policy);
    if (policy.bound)
        length = std::min(length, *policy.bound);
    give_up_ = start + length;
}

bool Retransmitter::send_due(TimePoint now) {
    if (sent_ >= max_requests_ || now < next_send_ || expired(now))
        return false;
    ++sent_;
    last_sent_ = now;
    if (sent_ >= max_requests_) {
        next_send_ = TimePoint::max();
    } else {
        // Measured from the first request, so a late timer does not stretch the schedule.
        next_send_ = start_ + rto_ * ((int64_t{1} << sent_) - 1);
        if (next_send_ >= give_up_)
            next_send_ = TimePoint::max();
    }
    return true;
}

TimePoint Retransmitter::next_deadline() const {
    return std::min(next_send_, give_up_);
}

} // namespace rtc::probe
