// PeerJsServer: messages to absent ids (queue, delivery, EXPIRE) and HEARTBEAT liveness.
#include "peerjs_test_util.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rtc::signal;
using namespace peerjs_test;
using namespace std::chrono_literals;

TEST_CASE("peerjs queue: messages to an absent id arrive after its OPEN, in order") {
    PeerJsServer server;
    RecordingSink alice, bob;
    auto a = open(server, "alice", alice);
    REQUIRE(a);
    server.on_message(*a, R"({"type":"OFFER","dst":"bob","payload":1})", kT0);
    server.on_message(*a, R"({"type":"CANDIDATE","dst":"bob","payload":2})", kT0 + 1s);
    server.on_message(*a, R"({"type":"LEAVE","dst":"bob"})", kT0 + 1s);  // not queued
    server.on_message(*a, R"({"type":"EXPIRE","dst":"bob"})", kT0 + 1s); // not queued
    auto stats = server.stats();
    CHECK(stats.queued == 2);
    CHECK(stats.queues == 1);
    CHECK(stats.queued_messages == 2);
    CHECK(stats.drops_absent == 2);
    CHECK(alice.sent.size() == 1); // nothing back to the sender yet

    auto b = open(server, "bob", bob, kT0 + 2s);
    REQUIRE(b);
    REQUIRE(bob.sent.size() == 3);
    CHECK(bob.sent[0] == R"({"type":"OPEN"})");
    CHECK(bob.sent[1] == R"({"type":"OFFER","src":"alice","dst":"bob","payload":1})");
    CHECK(bob.sent[2] == R"({"type":"CANDIDATE","src":"alice","dst":"bob","payload":2})");
    CHECK(server.stats().queues == 0);

    // Delivered queues do not expire later.
    server.on_timer(kT0 + 10s);
    CHECK(alice.sent.size() == 1);
    CHECK(server.stats().expired == 0);
}

TEST_CASE("peerjs queue: undelivered for expire_timeout, each sender gets one EXPIRE") {
    PeerJsServer server;
    RecordingSink alice, carol;
    auto a = open(server, "alice", alice);
    auto c = open(server, "carol", carol);
    REQUIRE(a);
    REQUIRE(c);
    server.on_message(*a, R"({"type":"OFFER","dst":"bob"})", kT0);
    server.on_message(*c, R"({"type":"OFFER","dst":"bob"})", kT0 + 1s);
    server.on_message(*a, R"({"type":"CANDIDATE","dst":"bob"})", kT0 + 2s);
    server.on_message(*a, R"({"type":"HEARTBEAT"})", kT0 + 2s);

    // The queue's deadline is its creation + 5 s (peer does not push it back per message).
    REQUIRE(server.next_deadline());
    CHECK(*server.next_deadline() == kT0 + 5s);
    server.on_timer(kT0 + 5s - 1ms);
    CHECK(alice.sent.size() == 1);
    server.on_timer(kT0 + 5s);
    REQUIRE(alice.sent.size() == 2);
    CHECK(alice.sent[1] == R"({"type":"EXPIRE","src":"bob","dst":"alice"})");
    REQUIRE(carol.sent.size() == 2);
    CHECK(carol.sent[1] == R"({"type":"EXPIRE","src":"bob","dst":"carol"})");
    CHECK(server.stats().expired == 2);
    CHECK(server.stats().queues == 0);
    CHECK(server.stats().queued_messages == 0);

    // bob arriving later gets nothing old; a new message starts a new queue.
    RecordingSink bob;
    REQUIRE(open(server, "bob", bob, kT0 + 6s));
    CHECK(bob.sent.size() == 1);
}

TEST_CASE("peerjs queue: a sender gone before expiry is not told") {
    PeerJsServer server;
    RecordingSink alice;
    auto a = open(server, "alice", alice);
    REQUIRE(a);
    server.on_message(*a, R"({"type":"OFFER","dst":"bob"})", kT0);
    server.on_disconnect(*a, kT0 + 1s);
    server.on_timer(kT0 + 5s);
    CHECK(alice.sent.size() == 1);
    CHECK(server.stats().expired == 0);
    CHECK(server.stats().queues == 0);
}

TEST_CASE("peerjs queue: expire_timeout is an option") {
    PeerJsServer server(options_with([](PeerJsOptions& o) { o.expire_timeout = 250ms; }));
    RecordingSink alice;
    auto a = open(server, "alice", alice);
    REQUIRE(a);
    server.on_message(*a, R"({"type":"OFFER","dst":"bob"})", kT0);
    CHECK(*server.next_deadline() == kT0 + 250ms);
    server.on_timer(kT0 + 250ms);
    CHECK(alice.last() == R"({"type":"EXPIRE","src":"bob","dst":"alice"})");
}

TEST_CASE("peerjs queue: per-id bounds drop with an EXPIRE at once, or at expiry") {
    PeerJsServer server(options_with([](PeerJsOptions& o) { o.max_queued_messages = 2; }));
    RecordingSink alice, carol;
    auto a = open(server, "alice", alice);
    auto c = open(server, "carol", carol);
    REQUIRE(a);
    REQUIRE(c);
    server.on_message(*a, R"({"type":"OFFER","dst":"bob"})", kT0);
    server.on_message(*a, R"({"type":"CANDIDATE","dst":"bob"})", kT0);
    // Full. alice has messages queued: she hears at expiry, not twice.
    server.on_message(*a, R"({"type":"CANDIDATE","dst":"bob"})", kT0);
    CHECK(alice.sent.size() == 1);
    // carol has none queued: told at once.
    server.on_message(*c, R"({"type":"OFFER","dst":"bob"})", kT0);
    CHECK(carol.last() == R"({"type":"EXPIRE","src":"bob","dst":"carol"})");
    CHECK(server.stats().drops_queue_full == 2);
    CHECK(server.stats().queued_messages == 2);

    server.on_timer(kT0 + 5s);
    CHECK(alice.last() == R"({"type":"EXPIRE","src":"bob","dst":"alice"})");
    CHECK(carol.sent.size() == 2); // once
    CHECK(server.stats().expired == 2);
}

TEST_CASE("peerjs queue: byte bounds per id and in total") {
    std::string payload(100, 'x');
    std::string message = R"({"type":"OFFER","dst":"bob","payload":")" + payload + "\"}";
    {
        PeerJsServer server(options_with([](PeerJsOptions& o) { o.max_queued_bytes = 400; }));
        RecordingSink alice;
        auto a = open(server, "alice", alice);
        REQUIRE(a);
        server.on_message(*a, message, kT0);
        server.on_message(*a, message, kT0);
        server.on_message(*a, message, kT0); // 3 x 155 bytes is over 400
        CHECK(server.stats().queued_messages == 2);
        CHECK(server.stats().drops_queue_full == 1);
    }
    {
        PeerJsServer server(options_with([](PeerJsOptions& o) { o.max_total_queued_bytes = 350; }));
        RecordingSink alice;
        auto a = open(server, "alice", alice);
        REQUIRE(a);
        for (const char* dst : {"b1", "b2", "b3", "b4"}) {
            std::string m = R"({"type":"OFFER","dst":")" + std::string(dst) + R"(","payload":")" +
                            payload + "\"}";
            server.on_message(*a, m, kT0);
        }
        CHECK(server.stats().queues == 2);
        CHECK(server.stats().drops_queue_full == 2);
        // Each refused dst told alice at once.
        CHECK(alice.sent.size() == 3);
        CHECK(alice.last() == R"({"type":"EXPIRE","src":"b4","dst":"alice"})");
    }
}

TEST_CASE("peerjs queue: the number of absent ids with a queue is bounded") {
    PeerJsServer server(options_with([](PeerJsOptions& o) { o.max_queues = 3; }));
    RecordingSink alice;
    auto a = open(server, "alice", alice);
    REQUIRE(a);
    for (int i = 0; i < 10; ++i) {
        std::string m = R"({"type":"OFFER","dst":"x)" + std::to_string(i) + R"("})";
        server.on_message(*a, m, kT0);
    }
    CHECK(server.stats().queues == 3);
    CHECK(server.stats().drops_queue_full == 7);
    CHECK(alice.sent.size() == 1 + 7);
    server.on_timer(kT0 + 5s);
    CHECK(alice.sent.size() == 1 + 7 + 3);
    CHECK(server.stats().queues == 0);
}

TEST_CASE("peerjs liveness: no HEARTBEAT for alive_timeout closes the id") {
    PeerJsServer server(options_with([](PeerJsOptions& o) { o.alive_timeout = 60s; }));
    RecordingSink alice, bob;
    auto a = open(server, "alice", alice, kT0);
    auto b = open(server, "bob", bob, kT0 + 10s);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(*server.next_deadline() == kT0 + 60s);
    server.on_message(*a, R"({"type":"HEARTBEAT"})", kT0 + 30s);
    // Other messages do not count as liveness (peer only looks at HEARTBEAT).
    server.on_message(*b, R"({"type":"OFFER","dst":"alice"})", kT0 + 60s);
    CHECK(*server.next_deadline() == kT0 + 70s); // bob's now
    server.on_timer(kT0 + 70s - 1ms);
    CHECK(bob.closes == 0);
    server.on_timer(kT0 + 70s);
    CHECK(bob.closes == 1);
    CHECK(bob.close_code == 1000);
    CHECK(alice.closes == 0);
    CHECK(server.stats().alive_timeouts == 1);
    CHECK(server.stats().clients == 1);
    CHECK(*server.next_deadline() == kT0 + 90s);

    // bob's id is free, and its socket is dead for the core.
    RecordingSink bob2;
    CHECK(server.attach("peerjs", "bob", "new", bob2, kT0 + 71s));
    server.on_message(*b, R"({"type":"OFFER","dst":"alice"})", kT0 + 71s);
    CHECK(alice.sent.size() == 2); // OPEN, bob's OFFER from before only
    server.on_disconnect(*b, kT0 + 72s);
    CHECK(server.stats().clients == 2);
}

TEST_CASE("peerjs liveness: heartbeats every 5 s keep an id for good") {
    PeerJsServer server;
    RecordingSink alice;
    auto a = open(server, "alice", alice);
    REQUIRE(a);
    auto now = kT0;
    for (int i = 0; i < 100; ++i) { // 500 s
        now += 5s;
        server.on_message(*a, R"({"type":"HEARTBEAT"})", now);
        server.on_timer(now);
    }
    CHECK(alice.closes == 0);
    CHECK(server.stats().heartbeats == 100);
    CHECK(*server.next_deadline() == now + server.options().alive_timeout);
}

TEST_CASE("peerjs timers: next_deadline is the earlier of queue expiry and liveness") {
    PeerJsServer server(options_with([](PeerJsOptions& o) {
        o.expire_timeout = 5s;
        o.alive_timeout = 3s;
    }));
    CHECK_FALSE(server.next_deadline());
    RecordingSink alice;
    auto a = open(server, "alice", alice, kT0);
    REQUIRE(a);
    server.on_message(*a, R"({"type":"OFFER","dst":"bob"})", kT0);
    CHECK(*server.next_deadline() == kT0 + 3s);
    server.on_timer(kT0 + 3s); // alice closed; her queue for bob stays
    CHECK(alice.closes == 1);
    CHECK(*server.next_deadline() == kT0 + 5s);
    server.on_timer(kT0 + 5s); // expires without anyone to tell
    CHECK(server.stats().expired == 0);
    CHECK_FALSE(server.next_deadline());
}
