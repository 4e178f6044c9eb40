#include "turn/allocation_table.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace rtc;
using namespace rtc::turn;
using namespace std::chrono_literals;

namespace {

util::Endpoint ep(const char* text) {
    auto e = util::Endpoint::parse(text);
    REQUIRE(e);
    return *e;
}

const Clock::time_point kT0{std::chrono::seconds(5000)};

Allocation make(uint16_t client_port, RelayId relay, const char* user) {
    Allocation a;
    a.five_tuple = {ep("203.0.113.1:1"), ep("192.0.2.1:3478"), stun::Transport::Udp};
    a.five_tuple.client.port = client_port;
    a.relays[0] = {relay, ep("198.51.100.1:50000")};
    a.relay_count = 1;
    a.username = user;
    a.expiry = kT0 + 600s;
    return a;
}

} // namespace

TEST_CASE("turn::AllocationTable indexes by five-tuple and relay, counts per user") {
    AllocationTable t(AllocationLimits{3, 2, 2, 2});
    REQUIRE(t.try_reserve_user("alice"));
    t.insert(make(1, 11, "alice"));
    CHECK_FALSE(t.user_full("alice"));
    REQUIRE(t.try_reserve_user("alice"));
    t.insert(make(2, 12, "alice"));
    CHECK(t.user_full("alice"));
    CHECK_FALSE(t.try_reserve_user("alice")); // 486 territory
    CHECK_FALSE(t.user_full("bob"));
    REQUIRE(t.try_reserve_user("bob"));
    t.insert(make(3, 13, "bob"));
    CHECK(t.full());
    REQUIRE(t.find_by_relay(12));
    CHECK(t.find_by_relay(12)->five_tuple.client.port == 2);
    CHECK(t.find_by_relay(99) == nullptr);

    std::vector<RelayId> released;
    t.erase(make(2, 0, "").five_tuple, released);
    CHECK(released == std::vector<RelayId>{12});
    CHECK(t.find_by_relay(12) == nullptr);
    CHECK_FALSE(t.user_full("alice"));
    CHECK(t.size() == 2);

    // A reservation given back (the Allocate failed later) frees the slot again.
    REQUIRE(t.try_reserve_user("alice"));
    CHECK_FALSE(t.try_reserve_user("alice"));
    t.unreserve_user("alice");
    CHECK(t.try_reserve_user("alice"));
}

TEST_CASE("turn::AllocationTable shares per-user counts through a UserQuota") {
    struct CountingQuota : UserQuota {
        std::map<std::string, std::size_t, std::less<>> held;
        bool try_acquire(std::string_view user, std::size_t limit) override {
            auto& n = held[std::string(user)];
            if (n >= limit)
                return false;
            ++n;
            return true;
        }
        void release(std::string_view user) override { --held[std::string(user)]; }
    } quota;
    AllocationTable one(AllocationLimits{10, 2, 2, 2}, &quota);
    AllocationTable two(AllocationLimits{10, 2, 2, 2}, &quota);
    REQUIRE(one.try_reserve_user("alice"));
    one.insert(make(1, 11, "alice"));
    REQUIRE(two.try_reserve_user("alice"));
    two.insert(make(2, 12, "alice"));
    CHECK_FALSE(one.try_reserve_user("alice")); // the other worker holds the second slot
    CHECK_FALSE(two.try_reserve_user("alice"));
    std::vector<RelayId> released;
    two.erase(make(2, 0, "").five_tuple, released);
    CHECK(quota.held["alice"] == 1);
    CHECK(one.try_reserve_user("alice"));
}

TEST_CASE("turn::AllocationTable permissions, channel rebinding rules and expiry") {
    AllocationTable t(AllocationLimits{10, 10, 2, 2});
    auto& a = t.insert(make(1, 1, "alice"));
    auto peer = ep("8.8.8.8:9");
    CHECK(t.permit(a, peer.address, kT0 + 300s) == InstallResult::Ok);
    CHECK(t.permit(a, ep("8.8.4.4:1").address, kT0 + 300s) == InstallResult::Ok);
    CHECK(t.permit(a, ep("1.1.1.1:1").address, kT0 + 300s) == InstallResult::QuotaExceeded);
    CHECK(a.permitted(ep("8.8.8.8:1234").address, kT0)); // ports do not matter (RFC 8656 §9)
    CHECK_FALSE(a.permitted(peer.address, kT0 + 300s));

    CHECK(t.bind(a, 0x4000, peer, kT0 + 600s, 300s) == InstallResult::Ok);
    CHECK(t.can_bind(a, 0x4000, ep("8.8.8.8:10"), kT0) == InstallResult::Conflict);
    CHECK(t.can_bind(a, 0x4001, peer, kT0) == InstallResult::Conflict);
    CHECK(t.can_bind(a, 0x4000, peer, kT0) == InstallResult::Ok);
    REQUIRE(a.channel_by_number(0x4000, kT0));
    CHECK(a.channel_by_peer(peer, kT0)->number == 0x4000);
    // Expired but still reserved for 5 minutes (RFC 8656 §12): unusable, not rebindable.
    CHECK(a.channel_by_number(0x4000, kT0 + 600s) == nullptr);
    CHECK(t.can_bind(a, 0x4000, ep("8.8.8.8:10"), kT0 + 700s) == InstallResult::Conflict);
    CHECK(t.can_bind(a, 0x4000, ep("8.8.8.8:10"), kT0 + 900s) == InstallResult::Ok);

    std::vector<RelayId> released;
    t.on_timer(kT0 + 301s, released);
    CHECK(a.permissions.empty());
    CHECK(a.channels.size() == 1);
    REQUIRE(t.next_deadline());
    CHECK(*t.next_deadline() == kT0 + 600s);
    t.on_timer(kT0 + 600s, released);
    CHECK(released == std::vector<RelayId>{1});
    CHECK(t.size() == 0);
    CHECK_FALSE(t.next_deadline());
}

TEST_CASE("turn::TokenBucket limits bytes per second") {
    TokenBucket b;
    CHECK(b.take(1000, 1000, 1500, kT0));
    CHECK(b.take(500, 1000, 1500, kT0));
    CHECK_FALSE(b.take(1, 1000, 1500, kT0));
    CHECK(b.take(500, 1000, 1500, kT0 + 500ms));
    CHECK_FALSE(b.take(100, 1000, 1500, kT0 + 500ms));
}

TEST_CASE("turn::AllocationTable counts live permissions and channels for the gauges") {
    AllocationTable t(AllocationLimits{10, 10, 4, 4});
    auto& a = t.insert(make(1, 1, "alice"));
    auto& b = t.insert(make(2, 2, "alice"));
    auto peer = ep("8.8.8.8:9");
    CHECK(t.permission_count() == 0);
    CHECK(t.channel_count() == 0);

    REQUIRE(t.permit(a, peer.address, kT0 + 300s) == InstallResult::Ok);
    REQUIRE(t.permit(a, peer.address, kT0 + 300s) == InstallResult::Ok); // a refresh
    REQUIRE(t.permit(b, peer.address, kT0 + 100s) == InstallResult::Ok);
    CHECK(t.permission_count() == 2);
    REQUIRE(t.bind(a, 0x4000, peer, kT0 + 600s, 300s) == InstallResult::Ok);
    REQUIRE(t.bind(a, 0x4000, peer, kT0 + 600s, 300s) == InstallResult::Ok); // a refresh
    REQUIRE(t.bind(b, 0x4001, peer, kT0 + 200s, 300s) == InstallResult::Ok);
    CHECK(t.channel_count() == 2);

    // RFC 8656 §9, §12: b's permission, then its channel, expire; the channel stays reserved.
    std::vector<RelayId> released;
    t.on_timer(kT0 + 150s, released);
    CHECK(t.permission_count() == 1);
    CHECK(t.channel_count() == 2);
    t.on_timer(kT0 + 250s, released);
    CHECK(t.channel_count() == 1);
    REQUIRE(b.channels.size() == 1); // reserved, not bound
    // Binding the same pair again makes it count once more.
    REQUIRE(t.bind(b, 0x4001, peer, kT0 + 850s, 300s) == InstallResult::Ok);
    CHECK(t.channel_count() == 2);

    // Deleting an allocation takes its permissions and channels off the gauges.
    auto tuple = a.five_tuple;
    t.erase(tuple, released);
    CHECK(t.permission_count() == 0);
    CHECK(t.channel_count() == 1);
    t.on_timer(kT0 + 601s, released); // b expires (LIFETIME 600 s)
    CHECK(t.size() == 0);
    CHECK(t.channel_count() == 0);
    CHECK(t.permission_count() == 0);
}
