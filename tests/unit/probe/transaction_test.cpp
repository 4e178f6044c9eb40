#include "probe/transaction.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace rtc::probe;
using std::chrono::milliseconds;

namespace {

// Steps the timer through every deadline; returns the send times (ms after start) and sets
// give_up to when it gave up.
std::vector<int64_t> sends(const RetransmitPolicy& policy, int64_t& give_up) {
    const TimePoint start{std::chrono::hours(1)};
    Retransmitter t(policy, start);
    std::vector<int64_t> out;
    TimePoint now = start;
    for (int i = 0; i < 100 && !t.expired(now); ++i) {
        if (t.send_due(now))
            out.push_back(std::chrono::duration_cast<milliseconds>(now - start).count());
        now = t.next_deadline();
    }
    give_up = std::chrono::duration_cast<milliseconds>(now - start).count();
    return out;
}

} // namespace

TEST_CASE("retransmitter: RFC 8489 §6.2.1 example schedule") {
    // RTO 500 ms, Rc 7, Rm 16: requests at 0, 500, 1500, 3500, 7500, 15500, 31500 ms and a
    // failure at 39500 ms.
    int64_t give_up = 0;
    auto s = sends(RetransmitPolicy{}, give_up);
    CHECK(s == std::vector<int64_t>{0, 500, 1500, 3500, 7500, 15500, 31500});
    CHECK(give_up == 39500);
    CHECK(schedule_length(RetransmitPolicy{}) == milliseconds(39500));
}

TEST_CASE("retransmitter: a bound cuts the schedule short") {
    RetransmitPolicy p;
    p.bound = milliseconds(3000);
    int64_t give_up = 0;
    CHECK(sends(p, give_up) == std::vector<int64_t>{0, 500, 1500});
    CHECK(give_up == 3000);
}

TEST_CASE("retransmitter: reliable transport sends once and waits Ti or the bound") {
    RetransmitPolicy p;
    p.reliable = true;
    int64_t give_up = 0;
    CHECK(sends(p, give_up) == std::vector<int64_t>{0});
    CHECK(give_up == 39500); // RFC 8489 §6.2.2
    p.bound = milliseconds(2000);
    CHECK(sends(p, give_up) == std::vector<int64_t>{0});
    CHECK(give_up == 2000);
}

TEST_CASE("retransmitter: counts and late timers") {
    const TimePoint start{std::chrono::hours(1)};
    Retransmitter t(RetransmitPolicy{}, start);
    CHECK(t.send_due(start));
    CHECK_FALSE(t.send_due(start)); // once per deadline
    CHECK(t.requests_sent() == 1);
    CHECK(t.retransmissions() == 0);
    // A timer firing late sends once; the next deadline stays on the original schedule.
    CHECK(t.send_due(start + milliseconds(1200)));
    CHECK(t.next_deadline() == start + milliseconds(1500));
    CHECK(t.retransmissions() == 1);
    CHECK(t.last_sent() == start + milliseconds(1200));
    CHECK_FALSE(t.expired(start + milliseconds(39499)));
    CHECK(t.expired(start + milliseconds(39500)));
    CHECK_FALSE(t.send_due(start + milliseconds(40000)));
    Retransmitter empty;
    CHECK(empty.expired(TimePoint{}));
}

TEST_CASE("policy_for_timeout and rto_from_rtt") {
    auto p = policy_for_timeout(milliseconds(3000), false);
    CHECK(p.rto == milliseconds(500));
    CHECK(p.bound == milliseconds(3000));
    CHECK_FALSE(p.reliable);
    CHECK(policy_for_timeout(milliseconds(1000), false).rto == milliseconds(250));
    CHECK(policy_for_timeout(milliseconds(8), true).rto == kClockGranularity);
    CHECK(policy_for_timeout(milliseconds(1000), true).reliable);

    // RFC 6298 §2.2 with one sample R: R + max(G, 2R).
    CHECK(rto_from_rtt(std::chrono::microseconds(300), milliseconds(500)) == milliseconds(6));
    CHECK(rto_from_rtt(milliseconds(20), milliseconds(500)) == milliseconds(60));
    CHECK(rto_from_rtt(milliseconds(400), milliseconds(500)) == milliseconds(500)); // ceiling
    CHECK(rto_from_rtt(milliseconds(-5), milliseconds(500)) == kClockGranularity);
}
