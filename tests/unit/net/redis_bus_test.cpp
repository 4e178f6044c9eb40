#include "net/redis_bus.hpp"
#include "redis_test_support.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace rtc::net;
using rtc::net::test::RedisServerProcess;
using rtc::net::test::run_until;

namespace {

using namespace std::chrono_literals;

// One node's view of the bus: what it received and how often it came up.
struct Node {
    std::vector<std::string> events;
    int ups = 0;
    RedisBus bus;

    Node(asio::io_context& io, const RedisUrl& url, std::string prefix = "test")
        : bus(
              io, url, options(std::move(prefix)),
              [this](std::string_view payload) { events.emplace_back(payload); },
              [this] { ++ups; }) {}

    static RedisBusOptions options(std::string prefix) {
        RedisBusOptions o;
        o.prefix = std::move(prefix);
        o.client.reconnect_min = 50ms;
        o.client.reconnect_max = 500ms;
        return o;
    }
    bool got(std::string_view payload) const {
        for (const auto& e : events)
            if (e == payload)
                return true;
        return false;
    }
};

} // namespace

TEST_CASE("RedisBus delivers events between nodes on <prefix>:bus") {
    RTC_REQUIRE_REDIS_SERVER();
    RedisServerProcess redis;
    REQUIRE_MESSAGE(redis.start(), redis.log());
    asio::io_context io;
    Node a(io, redis.url()), b(io, redis.url()), other(io, redis.url(), "elsewhere");
    CHECK(a.bus.channel() == "test:bus");

    a.bus.publish("too early"); // not started: dropped and counted
    CHECK(a.bus.stats().dropped == 1);

    for (auto* n : {&a, &b, &other})
        n->bus.start();
    REQUIRE(run_until(io, [&] { return a.ups == 1 && b.ups == 1 && other.ups == 1; }));
    CHECK(a.bus.connected());
    CHECK(a.bus.stats().connected);

    rtc::signal::ClusterBus& bus = a.bus; // used through the interface Rooms sees
    bus.publish(R"({"t":"join","node":"a"})");
    b.bus.publish("from b");
    REQUIRE(run_until(io, [&] { return b.events.size() == 2 && a.events.size() == 2; }));
    CHECK(b.got(R"({"t":"join","node":"a"})"));
    CHECK(b.got("from b")); // a node's own events come back too
    CHECK(a.got("from b"));
    CHECK(other.events.empty()); // another prefix is another bus

    const auto stats = a.bus.stats();
    CHECK(stats.published == 1);
    CHECK(stats.received == 2);
    CHECK(stats.dropped == 1);
    CHECK(stats.reconnects == 0);
    CHECK(a.bus.publisher().stats().commands == 1);
    CHECK(a.bus.subscriber().stats().messages == 2);
}

TEST_CASE("RedisBus counts drops while Redis is down and resumes after a restart") {
    RTC_REQUIRE_REDIS_SERVER();
    RedisServerProcess redis;
    REQUIRE_MESSAGE(redis.start(), redis.log());
    asio::io_context io;
    Node a(io, redis.url()), b(io, redis.url());
    a.bus.start();
    b.bus.start();
    REQUIRE(run_until(io, [&] { return a.ups == 1 && b.ups == 1; }));
    a.bus.publish("before");
    REQUIRE(run_until(io, [&] { return b.got("before"); }));

    redis.kill();
    REQUIRE(run_until(io, [&] { return !a.bus.connected() && !b.bus.connected(); }));
    CHECK_FALSE(a.bus.stats().connected);
    for (int i = 0; i < 5; ++i)
        a.bus.publish("while down " + std::to_string(i));
    CHECK(a.bus.stats().dropped == 5);
    CHECK(a.bus.stats().published == 1);

    // Same port; the clients retry at most every 500 ms here (5 s by default).
    const auto restarted = std::chrono::steady_clock::now();
    REQUIRE_MESSAGE(redis.start(), redis.log());
    REQUIRE(run_until(
        io, [&] { return a.ups == 2 && b.ups == 2; }, 5s));
    CHECK(std::chrono::steady_clock::now() - restarted < 3s);
    CHECK(a.bus.stats().reconnects == 1);
    CHECK(b.bus.stats().reconnects == 1);
    CHECK(a.bus.connected());

    a.bus.publish("after");
    REQUIRE(run_until(io, [&] { return b.got("after"); }));
    for (const auto& e : b.events)
        CHECK(e.find("while down") == std::string::npos);
    CHECK(a.bus.stats().published == 2);
    CHECK(a.bus.stats().dropped == 5);

    // stop(): down, and publishing drops again.
    a.bus.stop();
    CHECK_FALSE(a.bus.connected());
    a.bus.publish("stopped");
    CHECK(a.bus.stats().dropped == 6);
}
