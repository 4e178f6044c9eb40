#include "probe/lifetime_search.hpp"

#include <doctest/doctest.h>

using namespace rtc::probe;
using std::chrono::milliseconds;

namespace {

// Runs the search against a binding that lives exactly `lifetime`; returns the rounds used.
unsigned search(LifetimeSearch& s, milliseconds lifetime) {
    for (int guard = 0; guard < 20 && !s.finished(); ++guard) {
        const auto waits = s.waits();
        REQUIRE_FALSE(waits.empty());
        for (std::size_t i = 0; i < waits.size(); ++i)
            if (s.needed(i))
                s.record(i, waits[i] <= lifetime);
        REQUIRE(s.round_settled());
        s.next_round();
    }
    REQUIRE(s.finished());
    return s.round();
}

} // namespace

TEST_CASE("lifetime search: first round is a control and doubling waits up to the maximum") {
    LifetimeSearch s(milliseconds(120000));
    const std::vector<milliseconds> expected = {
        milliseconds(0),     milliseconds(1000),  milliseconds(2000),
        milliseconds(4000),  milliseconds(8000),  milliseconds(16000),
        milliseconds(32000), milliseconds(64000), milliseconds(120000)};
    CHECK(s.waits() == expected);
    CHECK_FALSE(s.round_settled());
    s.record(4, false); // 8 s dead: longer waits need not be waited for
    CHECK_FALSE(s.needed(5));
    CHECK(s.needed(3));
    CHECK_FALSE(s.round_settled());
    for (std::size_t i = 0; i < 4; ++i)
        s.record(i, true);
    CHECK(s.round_settled());
    s.next_round();
    CHECK_FALSE(s.finished());
    CHECK(s.round() == 2);
    for (auto w : s.waits()) {
        CHECK(w > milliseconds(4000));
        CHECK(w < milliseconds(8000));
    }
}

TEST_CASE("lifetime search: converges on the lifetime from below") {
    for (int seconds : {5, 30, 90}) {
        CAPTURE(seconds);
        LifetimeSearch s(milliseconds(120000));
        const milliseconds lifetime(seconds * 1000);
        auto rounds = search(s, lifetime);
        CHECK(rounds <= LifetimeSearch::kMaxRounds);
        REQUIRE(s.lifetime().has_value());
        CHECK(*s.lifetime() <= lifetime);
        CHECK(*s.lifetime() >= lifetime - std::max(milliseconds(500), lifetime / 10));
        CHECK_FALSE(s.capped());
    }
}

TEST_CASE("lifetime search: capped at the maximum, and a failed control") {
    LifetimeSearch capped(milliseconds(10000));
    search(capped, milliseconds(1000000));
    CHECK(capped.capped());
    CHECK(capped.lifetime() == milliseconds(10000));

    LifetimeSearch broken(milliseconds(10000));
    broken.record(0, false);
    CHECK(broken.round_settled());
    broken.next_round();
    CHECK(broken.finished());
    CHECK(broken.control_failed());
    CHECK_FALSE(broken.lifetime().has_value());
}
