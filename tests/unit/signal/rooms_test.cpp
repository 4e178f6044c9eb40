// signal::Rooms on one node: joining, relaying, stamping, refusals and limits.
#include "rooms_test_util.hpp"

#include <set>

using namespace rtc::signal;
using namespace rooms_test;

TEST_CASE("signal::Rooms welcome lists the room and others hear joined") {
    Rooms rooms({}, "n1");
    FakeSink alice, bob;
    join(rooms, alice, "lobby", "alice");
    const Json wa = welcome_of(alice);
    CHECK(wa["v"] == 1);
    CHECK(wa["peers"] == Json::array());
    CHECK(wa["resumed"] == false);
    CHECK(wa["resume_grace_ms"] == 30000);
    CHECK(wa["resume"].get<std::string>().size() >= 32);

    join(rooms, bob, "lobby", "bob");
    const Json wb = welcome_of(bob);
    CHECK(wb["peers"] == Json::array({"alice"}));
    CHECK(wb["resume"] != wa["resume"]);
    CHECK(alice.one() == Json::parse(R"({"type":"joined","id":"bob"})"));

    const auto s = rooms.stats();
    CHECK(s.rooms == 1);
    CHECK(s.peers == 2);
    CHECK(s.joins == 2);
}

TEST_CASE("signal::Rooms relays to one peer with from stamped, and to the room") {
    Rooms rooms({}, "n1");
    FakeSink alice, bob, carol, other;
    const auto a = join(rooms, alice, "lobby", "alice");
    join(rooms, bob, "lobby", "bob");
    join(rooms, carol, "lobby", "carol");
    join(rooms, other, "elsewhere", "dave");
    alice.drain(), bob.drain(), carol.drain(), other.drain();

    rooms.on_message(a, R"({"type":"offer","to":"bob","sdp":"v=0\r\n","id":1,"x":[1]})", kT0);
    const Json got = bob.one();
    CHECK(got ==
          Json::parse(
              R"({"type":"offer","to":"bob","sdp":"v=0\r\n","id":1,"x":[1],"from":"alice"})"));
    CHECK(carol.sent.empty());
    CHECK(alice.sent.empty());

    // No "to": everyone else in the room, nobody in other rooms.
    rooms.on_message(a, R"({"type":"message","data":{"hello":true}})", kT0);
    CHECK(bob.one()["from"] == "alice");
    CHECK(carol.one()["data"]["hello"] == true);
    CHECK(alice.sent.empty());
    CHECK(other.sent.empty());
    CHECK(rooms.stats().relayed == 3);
}

TEST_CASE("signal::Rooms refuses a spoofed from by replacing it") {
    Rooms rooms({}, "n1");
    FakeSink alice, bob;
    const auto a = join(rooms, alice, "r", "alice");
    join(rooms, bob, "r", "bob");
    bob.drain();
    rooms.on_message(a, R"({"type":"candidate","to":"bob","from":"bob","candidate":"c"})", kT0);
    rooms.on_message(a, R"({"type":"bye","from":{"id":"carol"}})", kT0);
    auto got = bob.drain();
    REQUIRE(got.size() == 2);
    CHECK(got[0]["from"] == "alice");
    CHECK(got[1]["from"] == "alice");
}

TEST_CASE("signal::Rooms normalises end-of-candidates") {
    Rooms rooms({}, "n1");
    FakeSink alice, bob;
    const auto a = join(rooms, alice, "r", "alice");
    join(rooms, bob, "r", "bob");
    bob.drain();
    rooms.on_message(a, R"({"type":"candidate","to":"bob","candidate":null})", kT0);
    CHECK(bob.one() == Json::parse(R"({"type":"candidate","to":"bob","end":true,"from":"alice"})"));
}

TEST_CASE("signal::Rooms answers unknown peers, bad JSON, deep JSON, unknown types") {
    Rooms rooms({}, "n1");
    FakeSink alice, bob;
    const auto a = join(rooms, alice, "r", "alice");
    join(rooms, bob, "r", "bob");
    alice.drain(), bob.drain();

    rooms.on_message(a, R"({"type":"offer","to":"zed","sdp":"x","id":"q"})", kT0);
    CHECK(alice.one() == Json::parse(R"({"type":"error","code":"unknown-peer",
                                         "message":"no such peer in this room","ref":"q"})"));
    rooms.on_message(a, "{not json", kT0);
    CHECK(alice.one()["code"] == "bad-json");
    std::string deep = R"({"type":"message","to":"bob","data":)";
    deep += std::string(33, '[') + std::string(33, ']') + "}";
    rooms.on_message(a, deep, kT0);
    CHECK(alice.one()["code"] == "bad-json");
    rooms.on_message(a, R"({"type":"hello","id":5})", kT0);
    const Json unknown = alice.one();
    CHECK(unknown["code"] == "unknown-type");
    CHECK(unknown["ref"] == 5);
    rooms.on_message(a, R"({"type":"offer","to":"bob"})", kT0);
    CHECK(alice.one()["code"] == "bad-message");
    rooms.on_binary(a, kT0);
    CHECK(alice.one()["code"] == "bad-message");
    CHECK(bob.sent.empty());

    const auto s = rooms.stats();
    CHECK(s.drops_unknown_peer == 1);
    CHECK(s.drops_bad_json == 2);
    CHECK(s.drops_bad_message == 3);
    CHECK(alice.closes == 0); // 5 violations, limit 20
}

TEST_CASE("signal::Rooms refuses a message over max_message") {
    RoomLimits limits;
    limits.max_message = 100;
    Rooms rooms(limits, "n1");
    FakeSink alice, bob;
    const auto a = join(rooms, alice, "r", "alice");
    join(rooms, bob, "r", "bob");
    alice.drain(), bob.drain();
    const std::string fits = R"({"type":"message","data":")" + std::string(72, 'x') + "\"}";
    REQUIRE(fits.size() == 100);
    rooms.on_message(a, fits, kT0);
    CHECK(bob.one()["from"] == "alice");
    rooms.on_message(a, fits.substr(0, 26) + "y" + fits.substr(26), kT0);
    CHECK(alice.one()["code"] == "too-big");
    CHECK(bob.sent.empty());
    CHECK(rooms.stats().drops_too_big == 1);
}

TEST_CASE("signal::Rooms closes with 1008 after max_violations bad messages") {
    RoomLimits limits;
    limits.max_violations = 3;
    Rooms rooms(limits, "n1");
    FakeSink alice, bob;
    const auto a = join(rooms, alice, "r", "alice");
    join(rooms, bob, "r", "bob");
    alice.drain(), bob.drain();
    rooms.on_message(a, "x", kT0);
    rooms.on_message(a, "[]", kT0);
    CHECK(alice.closes == 0);
    // Good messages do not reset the count.
    rooms.on_message(a, R"({"type":"bye"})", kT0);
    CHECK(bob.one()["type"] == "bye");
    rooms.on_message(a, "{}", kT0);
    CHECK(alice.closes == 1);
    CHECK(alice.close_code == 1008);
    // The violator is gone at once (no grace), the room is told.
    CHECK(bob.one() == Json::parse(R"({"type":"left","id":"alice","reason":"gone"})"));
    CHECK(rooms.stats().peers == 1);
    // Later calls for that connection do nothing; the sink is not touched again.
    alice.sent.clear();
    rooms.on_message(a, R"({"type":"bye"})", kT0);
    rooms.on_disconnect(a, false, kT0);
    CHECK(alice.sent.empty());
    CHECK(bob.sent.empty());
    CHECK(rooms.stats().away_peers == 0);
}

TEST_CASE("signal::Rooms rate-limits each connection with a token bucket") {
    RoomLimits limits;
    limits.messages_per_second = 10;
    limits.message_burst = 5;
    limits.max_violations = 100;
    Rooms rooms(limits, "n1");
    FakeSink alice, bob, carol;
    const auto a = join(rooms, alice, "r", "alice");
    const auto b = join(rooms, bob, "r", "bob");
    join(rooms, carol, "r", "carol");
    alice.drain(), bob.drain(), carol.drain();
    const std::string msg = R"({"type":"message","to":"carol","data":1})";
    for (int i = 0; i < 8; ++i)
        rooms.on_message(a, msg, kT0);
    CHECK(carol.drain().size() == 5); // the burst
    auto errors = alice.drain();
    CHECK(errors.size() == 3);
    for (const auto& e : errors)
        CHECK(e["code"] == "rate-limited");
    // Another connection has its own bucket.
    rooms.on_message(b, msg, kT0);
    CHECK(carol.drain().size() == 1);
    // 10 per second: after 300 ms three more pass.
    for (int i = 0; i < 5; ++i)
        rooms.on_message(a, msg, kT0 + 300ms);
    CHECK(carol.drain().size() == 3);
    CHECK(alice.drain().size() == 2);
    CHECK(rooms.stats().drops_rate == 5);
    // The bucket never holds more than the burst.
    for (int i = 0; i < 10; ++i)
        rooms.on_message(a, msg, kT0 + 1h);
    CHECK(carol.drain().size() == 5);
}

TEST_CASE("signal::Rooms enforces peers per room and the number of rooms") {
    RoomLimits limits;
    limits.max_peers_per_room = 2;
    limits.max_rooms = 2;
    Rooms rooms(limits, "n1");
    FakeSink s1, s2, s3, s4;
    join(rooms, s1, "r1", "a");
    join(rooms, s2, "r1", "b");
    auto full = rooms.admit({.room = "r1", .peer_id = "c", .resume_token = {}}, kT0);
    CHECK_FALSE(full.ok);
    CHECK(full.http_status == 403);
    CHECK(full.error == "room-full");
    join(rooms, s3, "r2", "a");
    auto many = rooms.admit({.room = "r3", .peer_id = "a", .resume_token = {}}, kT0);
    CHECK_FALSE(many.ok);
    CHECK(many.http_status == 403);
    CHECK(many.error == "too-many-rooms");
    auto fresh = rooms.admit({.room = "", .peer_id = "a", .resume_token = {}}, kT0);
    CHECK(fresh.error == "too-many-rooms");
    // An existing room can still be joined.
    join(rooms, s4, "r2", "b");
}

TEST_CASE("signal::Rooms refuses a taken id with 409 and bad ids with 400") {
    Rooms rooms({}, "n1");
    FakeSink s1;
    join(rooms, s1, "r", "alice");
    auto taken = rooms.admit({.room = "r", .peer_id = "alice", .resume_token = {}}, kT0);
    CHECK_FALSE(taken.ok);
    CHECK(taken.http_status == 409);
    CHECK(taken.error == "id-taken");
    // The same id in another room is fine.
    CHECK(rooms.admit({.room = "r2", .peer_id = "alice", .resume_token = {}}, kT0).ok);

    for (const char* bad : {"a b", "a/b", "\xc3\xa9", "a?b", "a%20b"}) {
        INFO(bad);
        auto r = rooms.admit({.room = bad, .peer_id = "x", .resume_token = {}}, kT0);
        CHECK(r.http_status == 400);
        CHECK(r.error == "bad-room");
        auto p = rooms.admit({.room = "r", .peer_id = bad, .resume_token = {}}, kT0);
        CHECK(p.http_status == 400);
        CHECK(p.error == "bad-id");
    }
    CHECK(rooms.admit({.room = std::string(65, 'r'), .peer_id = "x", .resume_token = {}}, kT0)
              .error == "bad-room");
}

TEST_CASE("signal::Rooms makes random url-safe room and peer ids") {
    Rooms rooms({}, "n1");
    std::set<std::string> room_ids, peer_ids;
    for (int i = 0; i < 20; ++i) {
        auto a = rooms.admit({.room = "", .peer_id = "", .resume_token = {}}, kT0);
        REQUIRE(a.ok);
        CHECK(valid_id(a.room));
        CHECK(valid_id(a.peer_id));
        CHECK(a.room.size() >= 16);
        room_ids.insert(a.room);
        peer_ids.insert(a.peer_id);
    }
    CHECK(room_ids.size() == 20);
    CHECK(peer_ids.size() == 20);

    FakeSink s;
    join(rooms, s, "r", "");
    CHECK(valid_id(welcome_of(s)["id"].get<std::string>()));
}

TEST_CASE("signal::Rooms attach re-checks what changed since admit") {
    Rooms rooms({}, "n1");
    auto first = rooms.admit({.room = "r", .peer_id = "alice", .resume_token = {}}, kT0);
    auto second = rooms.admit({.room = "r", .peer_id = "alice", .resume_token = {}}, kT0);
    REQUIRE(first.ok);
    REQUIRE(second.ok);
    FakeSink s1, s2;
    rooms.attach(first, s1, kT0);
    const auto id2 = rooms.attach(second, s2, kT0);
    CHECK(s2.one()["code"] == "id-taken");
    CHECK(s2.close_code == 1008);
    rooms.on_disconnect(id2, false, kT0); // harmless
    CHECK(rooms.stats().peers == 1);
    // A refused admission attached anyway is refused again.
    FakeSink s3;
    auto refused = rooms.admit({.room = "bad room", .peer_id = "x", .resume_token = {}}, kT0);
    rooms.attach(refused, s3, kT0);
    CHECK(s3.close_code == 1008);
}

TEST_CASE("signal::Rooms leave message and clean close: left with reason leave") {
    Rooms rooms({}, "n1");
    FakeSink alice, bob, carol;
    const auto a = join(rooms, alice, "r", "alice");
    const auto b = join(rooms, bob, "r", "bob");
    join(rooms, carol, "r", "carol");
    alice.drain(), bob.drain(), carol.drain();
    rooms.on_message(a, R"({"type":"leave"})", kT0);
    CHECK(alice.close_code == 1000);
    CHECK(bob.one() == Json::parse(R"({"type":"left","id":"alice","reason":"leave"})"));
    carol.drain();
    rooms.on_disconnect(a, true, kT0); // the socket's own close afterwards: nothing more
    CHECK(bob.sent.empty());
    rooms.on_disconnect(b, true, kT0);
    CHECK(carol.one() == Json::parse(R"({"type":"left","id":"bob","reason":"leave"})"));
    CHECK(rooms.stats().leaves == 2);
    CHECK(rooms.stats().away_peers == 0);
    // alice's id is free again.
    CHECK(rooms.admit({.room = "r", .peer_id = "alice", .resume_token = {}}, kT0).ok);
}

TEST_CASE("signal::Rooms close_all closes everyone with 1001 and empties the rooms") {
    Rooms rooms({}, "n1");
    FakeSink alice, bob;
    const auto a = join(rooms, alice, "r", "alice");
    join(rooms, bob, "r2", "bob");
    rooms.close_all();
    CHECK(alice.close_code == 1001);
    CHECK(bob.close_code == 1001);
    CHECK(rooms.stats().rooms == 0);
    CHECK(rooms.stats().peers == 0);
    rooms.on_disconnect(a, false, kT0);
    CHECK(rooms.stats().away_peers == 0);
    CHECK_FALSE(rooms.next_deadline());
}
