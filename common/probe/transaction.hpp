#pragma once
// When a STUN client (re)sends a request and when it gives up (RFC 8489 §6.2.1, §6.2.2), as a
// sans-I/O timer: the caller passes the time, sends when told to and waits until
// next_deadline().
//
//   rtc::probe::Retransmitter timer(rtc::probe::policy_for_timeout(3s, false), now);
//   if (timer.send_due(now)) send(request);          // at once, then at each deadline
//   if (timer.expired(now)) give_up();
//   arm(timer.next_deadline());
//
// Over UDP the requests go out at 0, RTO, 3 RTO, 7 RTO, ... (the interval doubles) until Rc
// have been sent; the client then waits Rm * RTO for the last one. Over TCP/TLS one request is
// sent and the client waits Ti. Both are cut short by a caller's bound (--timeout).
#include <chrono>
#include <cstdint>
#include <optional>

namespace rtc::probe {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::milliseconds;

inline constexpr milliseconds kDefaultRto{500};  // RFC 8489 §6.2.1
inline constexpr unsigned kDefaultRc = 7;        // RFC 8489 §6.2.1: Rc
inline constexpr unsigned kDefaultRm = 16;       // RFC 8489 §6.2.1: Rm
inline constexpr milliseconds kDefaultTi{39500}; // RFC 8489 §6.2.2: Ti
// G of RFC 6298 §2.2, and the smallest RTO used: on a LAN, seven requests on an RTO this small
// still span half a second, long enough for any answer that is coming.
inline constexpr milliseconds kClockGranularity{5};

struct RetransmitPolicy {
    milliseconds rto = kDefaultRto;             // initial retransmission timeout
    unsigned max_requests = kDefaultRc;         // Rc: requests sent at most (UDP)
    unsigned last_wait_factor = kDefaultRm;     // Rm: wait Rm * rto after the last request
    bool reliable = false;                      // TCP/TLS: one request, wait reliable_timeout
    milliseconds reliable_timeout = kDefaultTi; // Ti
    std::optional<milliseconds> bound;          // give up this long after the first request
};

// A policy that fits a --timeout: the RFC 8489 schedule with RTO at most timeout / 4, so that a
// small timeout still leaves room for retransmissions, bounded by the timeout.
RetransmitPolicy policy_for_timeout(milliseconds timeout, bool reliable);

// RFC 8489 §6.2.1 lets the RTO follow the measured round-trip time: RFC 6298 §2.2 for a first
// sample R gives RTO = R + max(G, 4 * R/2), kept within [kClockGranularity, ceiling].
milliseconds rto_from_rtt(Clock::duration rtt, milliseconds ceiling);

// Time from the first request until the client gives up, without a bound.
milliseconds schedule_length(const RetransmitPolicy& policy);

class Retransmitter {
public:
    Retransmitter() = default; // already expired; for containers
    // The first request is due at `start`.
    Retransmitter(const RetransmitPolicy& policy, TimePoint start);

    // True when a request is due at `now` (and not given up); counts it as sent.
    bool send_due(TimePoint now);
    // The client has given up: no answer can count any more.
    bool expired(TimePoint now) const { return now >= give_up_; }
    // The next time something happens: a request is due or the client gives up.
    TimePoint next_deadline() const;

    unsigned requests_sent() const { return sent_; }
    unsigned retransmissions() const { return sent_ > 0 ? sent_ - 1 : 0; }
    TimePoint first_sent() const { return start_; }
    TimePoint last_sent() const { return last_sent_; }
    TimePoint give_up_time() const { return give_up_; }

private:
    TimePoint start_{};
    TimePoint last_sent_{};
    TimePoint next_send_ = TimePoint::max();
    TimePoint give_up_{};
    milliseconds rto_{};
    unsigned max_requests_ = 0;
    unsigned sent_ = 0;
};

} // namespace rtc::probe
