// PeerJsServer::attach and the life of an id, against what peer 1.0.2 answers.
#include "peerjs_test_util.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>

using namespace rtc::signal;
using namespace peerjs_test;
using namespace std::chrono_literals;

TEST_CASE("peerjs attach: a new id gets OPEN and stays open") {
    PeerJsServer server;
    RecordingSink sink;
    auto conn = server.attach("peerjs", "alice", "t1", sink, kT0);
    REQUIRE(conn);
    REQUIRE(sink.sent.size() == 1);
    CHECK(sink.sent[0] == R"({"type":"OPEN"})");
    CHECK(sink.closes == 0);
    CHECK(server.stats().clients == 1);
    CHECK(server.stats().opens == 1);
}

TEST_CASE("peerjs attach: a wrong key gets peer's ERROR and a close") {
    PeerJsServer server(options_with([](PeerJsOptions& o) { o.key = "secret-key"; }));
    RecordingSink sink;
    CHECK_FALSE(server.attach("peerjs", "alice", "t1", sink, kT0));
    REQUIRE(sink.sent.size() == 1);
    CHECK(sink.sent[0] == R"({"type":"ERROR","payload":{"msg":"Invalid key provided"}})");
    CHECK(sink.closes == 1);
    CHECK(sink.close_code == 1000);
    CHECK(server.stats().clients == 0);
    CHECK(server.stats().refused_key == 1);

    RecordingSink good;
    CHECK(server.attach("secret-key", "alice", "t1", good, kT0));
    CHECK(good.last() == R"({"type":"OPEN"})");
}

TEST_CASE("peerjs attach: a missing key, id or token gets peer's parameters ERROR") {
    PeerJsServer server;
    const char* expected =
        R"({"type":"ERROR","payload":{"msg":"No id, token, or key supplied to websocket server"}})";
    for (auto [key, id, token] :
         {std::array<const char*, 3>{"", "a", "t"}, std::array<const char*, 3>{"peerjs", "", "t"},
          std::array<const char*, 3>{"peerjs", "a", ""}}) {
        RecordingSink sink;
        CHECK_FALSE(server.attach(key, id, token, sink, kT0));
        CHECK(sink.last() == expected);
        CHECK(sink.closes == 1);
    }
    CHECK(server.stats().refused_params == 3);
    CHECK(server.stats().clients == 0);
}

TEST_CASE("peerjs attach: ids and tokens are bounded printable ASCII") {
    PeerJsServer server(options_with([](PeerJsOptions& o) { o.max_id_length = 8; }));
    RecordingSink long_id, control_id, long_token, ok;
    CHECK_FALSE(server.attach("peerjs", "123456789", "t", long_id, kT0));
    CHECK(long_id.last() == R"({"type":"ERROR","payload":{"msg":"Invalid id provided"}})");
    CHECK_FALSE(server.attach("peerjs", std::string("a\nb"), "t", control_id, kT0));
    CHECK(control_id.closes == 1);
    CHECK_FALSE(server.attach("peerjs", "a", "123456789", long_token, kT0));
    CHECK(long_token.last() == R"({"type":"ERROR","payload":{"msg":"Invalid token provided"}})");
    CHECK(server.attach("peerjs", "12345678", "a b-c_d", ok, kT0)); // the limit itself is fine
    CHECK(server.stats().refused_id == 2);
    CHECK(server.stats().refused_token == 1);
}

TEST_CASE("peerjs attach: a connected id with another token is ID-TAKEN") {
    PeerJsServer server;
    RecordingSink first, second;
    auto conn = server.attach("peerjs", "alice", "t1", first, kT0);
    REQUIRE(conn);
    CHECK_FALSE(server.attach("peerjs", "alice", "t2", second, kT0));
    REQUIRE(second.sent.size() == 1);
    CHECK(second.sent[0] == R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})");
    CHECK(second.closes == 1);
    CHECK(first.closes == 0); // the owner keeps its id
    CHECK(server.stats().refused_id_taken == 1);

    // Still alice's: a message to alice reaches the first socket.
    RecordingSink bob;
    auto b = server.attach("peerjs", "bob", "tb", bob, kT0);
    REQUIRE(b);
    server.on_message(*b, R"({"type":"OFFER","dst":"alice","payload":1})", kT0);
    CHECK(first.last() == R"({"type":"OFFER","src":"bob","dst":"alice","payload":1})");
}

TEST_CASE("peerjs attach: the same id and token takes the id over without OPEN, like peer") {
    PeerJsServer server;
    RecordingSink old_sink, new_sink, bob;
    auto old_conn = server.attach("peerjs", "alice", "t1", old_sink, kT0);
    auto b = server.attach("peerjs", "bob", "tb", bob, kT0);
    REQUIRE(old_conn);
    REQUIRE(b);
    auto new_conn = server.attach("peerjs", "alice", "t1", new_sink, kT0 + 1s);
    REQUIRE(new_conn);
    CHECK(*new_conn != *old_conn);
    CHECK(new_sink.sent.empty()); // peer sends no OPEN to the socket that takes over
    CHECK(old_sink.closes == 1);
    CHECK(old_sink.close_code == 1000);
    CHECK(server.stats().takeovers == 1);
    CHECK(server.stats().clients == 2);

    // Messages to alice go to the new socket; the old one is neither read nor written.
    server.on_message(*b, R"({"type":"CANDIDATE","dst":"alice","payload":{"c":1}})", kT0 + 1s);
    CHECK(new_sink.last() == R"({"type":"CANDIDATE","src":"bob","dst":"alice","payload":{"c":1}})");
    CHECK(old_sink.sent.size() == 1);
    std::size_t bob_before = bob.sent.size();
    server.on_message(*old_conn, R"({"type":"OFFER","dst":"bob"})", kT0 + 1s);
    CHECK(bob.sent.size() == bob_before);

    // The old socket's late disconnect does not free the id.
    server.on_disconnect(*old_conn, kT0 + 2s);
    CHECK(server.stats().clients == 2);
    RecordingSink thief;
    CHECK_FALSE(server.attach("peerjs", "alice", "other", thief, kT0 + 2s));
    CHECK(thief.last() == R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})");

    // The new socket's disconnect does.
    server.on_disconnect(*new_conn, kT0 + 3s);
    CHECK(server.stats().clients == 1);
}

TEST_CASE("peerjs attach: a takeover delivers what was queued for the id") {
    PeerJsServer server;
    RecordingSink alice, alice2, bob;
    auto a = server.attach("peerjs", "alice", "t1", alice, kT0);
    auto b = server.attach("peerjs", "bob", "tb", bob, kT0);
    REQUIRE(a);
    REQUIRE(b);
    server.on_disconnect(*a, kT0);
    server.on_message(*b, R"({"type":"OFFER","dst":"alice","payload":"x"})", kT0);
    CHECK(server.stats().queued_messages == 1);
    // Reconnects with its token: registered anew (it was gone), so OPEN then the queue.
    auto a2 = server.attach("peerjs", "alice", "t1", alice2, kT0 + 1s);
    REQUIRE(a2);
    REQUIRE(alice2.sent.size() == 2);
    CHECK(alice2.sent[0] == R"({"type":"OPEN"})");
    CHECK(alice2.sent[1] == R"({"type":"OFFER","src":"bob","dst":"alice","payload":"x"})");
    CHECK(server.stats().queued_messages == 0);
    CHECK(server.stats().delivered_queued == 1);
}

TEST_CASE("peerjs attach: the concurrent limit refuses new ids with peer's ERROR") {
    PeerJsServer server(options_with([](PeerJsOptions& o) { o.concurrent_limit = 2; }));
    RecordingSink a, b, c, a2;
    auto ca = server.attach("peerjs", "a", "t", a, kT0);
    REQUIRE(ca);
    REQUIRE(server.attach("peerjs", "b", "t", b, kT0));
    CHECK_FALSE(server.attach("peerjs", "c", "t", c, kT0));
    CHECK(c.last() ==
          R"({"type":"ERROR","payload":{"msg":"Server has reached its concurrent user limit"}})");
    CHECK(c.closes == 1);
    CHECK(server.stats().refused_limit == 1);
    // A takeover is not a new id: allowed at the limit.
    auto ca2 = server.attach("peerjs", "a", "t", a2, kT0);
    REQUIRE(ca2);
    // A freed slot can be used again.
    server.on_disconnect(*ca2, kT0);
    RecordingSink c2;
    CHECK(server.attach("peerjs", "c", "t", c2, kT0));
}

TEST_CASE("peerjs attach: a disconnect frees the id for anyone") {
    PeerJsServer server;
    RecordingSink first, second;
    auto conn = server.attach("peerjs", "alice", "t1", first, kT0);
    REQUIRE(conn);
    server.on_disconnect(*conn, kT0 + 1s);
    server.on_disconnect(*conn, kT0 + 1s); // twice: no effect
    CHECK(server.stats().clients == 0);
    CHECK(server.attach("peerjs", "alice", "t2", second, kT0 + 2s));
    CHECK(second.last() == R"({"type":"OPEN"})");
    // The first connection id is dead for good.
    server.on_message(*conn, R"({"type":"HEARTBEAT"})", kT0 + 2s);
    CHECK(server.stats().heartbeats == 0);
}

TEST_CASE("peerjs attach: close_all closes every socket with 1001 and forgets the ids") {
    PeerJsServer server;
    RecordingSink a, b;
    auto ca = server.attach("peerjs", "a", "t", a, kT0);
    auto cb = server.attach("peerjs", "b", "t", b, kT0);
    REQUIRE(ca);
    REQUIRE(cb);
    server.on_message(*ca, R"({"type":"OFFER","dst":"zed"})", kT0);
    server.close_all();
    CHECK(a.close_code == 1001);
    CHECK(b.close_code == 1001);
    auto stats = server.stats();
    CHECK(stats.clients == 0);
    CHECK(stats.queues == 0);
    CHECK_FALSE(server.next_deadline());
    server.on_disconnect(*ca, kT0);                               // late reports are harmless
    server.on_message(*cb, R"({"type":"OFFER","dst":"a"})", kT0); // b is forgotten: ignored
    CHECK(server.stats().queued == 1);                            // only the one before
    CHECK(server.stats().queues == 0);
}
