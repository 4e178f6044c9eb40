// signal::Rooms reconnects: away peers, resume tokens, queued delivery, expiry and its notices.
#include "rooms_test_util.hpp"

using namespace rtc::signal;
using namespace rooms_test;

namespace {

JoinRequest resume_request(const std::string& room, const std::string& peer,
                           const std::string& token) {
    return {.room = room, .peer_id = peer, .resume_token = token};
}

} // namespace

TEST_CASE("signal::Rooms resume within grace delivers what was queued") {
    Rooms rooms({}, "n1");
    FakeSink alice, bob;
    const auto a = join(rooms, alice, "r", "alice");
    const auto b = join(rooms, bob, "r", "bob");
    const std::string token = welcome_of(bob)["resume"];
    alice.drain();

    rooms.on_disconnect(b, false, kT0 + 1s);
    CHECK(alice.one() == Json::parse(R"({"type":"away","id":"bob"})"));
    CHECK(rooms.stats().away_peers == 1);
    REQUIRE(rooms.next_deadline());
    CHECK(*rooms.next_deadline() == kT0 + 31s);
    // bob's id stays taken while he is away.
    CHECK(rooms.admit({.room = "r", .peer_id = "bob", .resume_token = {}}, kT0).error ==
          "id-taken");

    rooms.on_message(a, R"({"type":"offer","to":"bob","sdp":"o","id":1})", kT0 + 2s);
    rooms.on_message(a, R"({"type":"candidate","to":"bob","candidate":"c1"})", kT0 + 2s);
    rooms.on_message(a, R"({"type":"message","data":"to all"})", kT0 + 2s);
    CHECK(alice.sent.empty()); // queued quietly
    CHECK(rooms.stats().queued == 3);

    auto admission = rooms.admit(resume_request("r", "bob", token), kT0 + 10s);
    REQUIRE(admission.ok);
    CHECK(admission.resume);
    FakeSink bob2;
    rooms.attach(admission, bob2, kT0 + 10s);
    auto got = bob2.drain();
    REQUIRE(got.size() == 4);
    CHECK(got[0]["type"] == "welcome");
    CHECK(got[0]["resumed"] == true);
    CHECK(got[0]["peers"] == Json::array({"alice"}));
    CHECK(got[0]["resume"] != token); // a fresh token each time
    CHECK(got[1]["type"] == "offer");
    CHECK(got[1]["from"] == "alice");
    CHECK(got[2]["candidate"] == "c1");
    CHECK(got[3]["data"] == "to all");
    CHECK(alice.one() == Json::parse(R"({"type":"back","id":"bob"})"));
    CHECK(bob.sent.empty());

    const auto s = rooms.stats();
    CHECK(s.resumes == 1);
    CHECK(s.away_peers == 0);
    CHECK(s.expired == 0);
    CHECK_FALSE(rooms.next_deadline());
    // The old token is spent.
    CHECK(rooms.admit(resume_request("r", "bob", token), kT0 + 11s).http_status == 410);
}

TEST_CASE("signal::Rooms refuses a wrong or late resume with 410") {
    Rooms rooms({}, "n1");
    FakeSink bob;
    const auto b = join(rooms, bob, "r", "bob");
    const std::string token = welcome_of(bob)["resume"];
    rooms.on_disconnect(b, false, kT0);

    std::string wrong = token;
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    CHECK(rooms.admit(resume_request("r", "bob", wrong), kT0).http_status == 410);
    CHECK(rooms.admit(resume_request("r", "bob", token + "x"), kT0).http_status == 410);
    CHECK(rooms.admit(resume_request("r", "carol", token), kT0).http_status == 410);
    CHECK(rooms.admit(resume_request("r2", "bob", token), kT0).http_status == 410);
    CHECK(rooms.admit(resume_request("", "bob", token), kT0).http_status == 400);
    CHECK(rooms.admit(resume_request("r", "", token), kT0).http_status == 400);
    CHECK(rooms.admit(resume_request("r", "bob", token), kT0 + 29s).ok);

    rooms.on_timer(kT0 + 30s);
    auto late = rooms.admit(resume_request("r", "bob", token), kT0 + 30s);
    CHECK_FALSE(late.ok);
    CHECK(late.http_status == 410);
    CHECK(late.error == "cannot-resume");
    CHECK(rooms.stats().rooms == 0);
}

TEST_CASE("signal::Rooms grace end: the room hears left/gone, senders hear expired") {
    Rooms rooms({}, "n1");
    FakeSink alice, bob, carol;
    const auto a = join(rooms, alice, "r", "alice");
    const auto b = join(rooms, bob, "r", "bob");
    const auto c = join(rooms, carol, "r", "carol");
    alice.drain(), bob.drain(), carol.drain();
    rooms.on_disconnect(b, false, kT0);
    alice.drain(), carol.drain();

    rooms.on_message(a, R"({"type":"offer","to":"bob","sdp":"o","id":"m1"})", kT0 + 1s);
    rooms.on_message(c, R"({"type":"bye","to":"bob"})", kT0 + 1s);
    rooms.on_message(c, R"({"type":"message","data":1,"id":9})", kT0 + 1s); // to alice + bob
    CHECK(alice.one()["data"] == 1);

    rooms.on_timer(kT0 + 29s);
    CHECK(alice.sent.empty());
    rooms.on_timer(kT0 + 30s);
    auto to_alice = alice.drain();
    REQUIRE(to_alice.size() == 2);
    CHECK(to_alice[0] == Json::parse(R"({"type":"left","id":"bob","reason":"gone"})"));
    CHECK(to_alice[1] == Json::parse(R"({"type":"expired","to":"bob","ref":"m1","of":"offer"})"));
    auto to_carol = carol.drain();
    REQUIRE(to_carol.size() == 3);
    CHECK(to_carol[0]["type"] == "left");
    CHECK(to_carol[1] == Json::parse(R"({"type":"expired","to":"bob","of":"bye"})"));
    CHECK(to_carol[2] == Json::parse(R"({"type":"expired","to":"bob","ref":9,"of":"message"})"));
    const auto s = rooms.stats();
    CHECK(s.expired == 3);
    CHECK(s.away_peers == 0);
    CHECK(s.leaves == 1);
    CHECK(bob.sent.empty());
}

TEST_CASE("signal::Rooms expired notices reach only senders still there") {
    Rooms rooms({}, "n1");
    FakeSink alice, bob;
    const auto a = join(rooms, alice, "r", "alice");
    const auto b = join(rooms, bob, "r", "bob");
    rooms.on_disconnect(b, false, kT0);
    rooms.on_message(a, R"({"type":"bye","to":"bob"})", kT0);
    rooms.on_disconnect(a, true, kT0 + 1s);
    alice.sent.clear();
    rooms.on_timer(kT0 + 30s);
    CHECK(alice.sent.empty());
    CHECK(rooms.stats().expired == 1);
    CHECK(rooms.stats().rooms == 0);
}

TEST_CASE("signal::Rooms bounds the queue of an away peer by count and bytes") {
    RoomLimits limits;
    limits.max_queued_messages = 3;
    limits.max_queued_bytes = 1000;
    Rooms rooms(limits, "n1");
    FakeSink alice, bob;
    const auto a = join(rooms, alice, "r", "alice");
    const auto b = join(rooms, bob, "r", "bob");
    const std::string token = welcome_of(bob)["resume"];
    rooms.on_disconnect(b, false, kT0);
    alice.drain();
    for (int i = 0; i < 4; ++i)
        rooms.on_message(a,
                         R"({"type":"message","to":"bob","data":)" + std::to_string(i) +
                             R"(,"id":)" + std::to_string(i) + "}",
                         kT0);
    CHECK(alice.one() == Json::parse(R"({"type":"error","code":"queue-full",
                          "message":"the peer is away and its queue is full","ref":3})"));
    CHECK(rooms.stats().queued == 3);
    CHECK(rooms.stats().drops_queue_full == 1);
    CHECK(alice.closes == 0); // not a violation

    // Bytes: a fresh away peer, one message that alone exceeds the byte bound.
    FakeSink carol;
    const auto c = join(rooms, carol, "r", "carol");
    rooms.on_disconnect(c, false, kT0);
    alice.drain();
    rooms.on_message(
        a, R"({"type":"message","to":"carol","data":")" + std::string(990, 'x') + "\"}", kT0);
    CHECK(alice.one()["code"] == "queue-full");
    rooms.on_message(
        a, R"({"type":"message","to":"carol","data":")" + std::string(400, 'x') + "\"}", kT0);
    rooms.on_message(
        a, R"({"type":"message","to":"carol","data":")" + std::string(400, 'x') + "\"}", kT0);
    CHECK(alice.sent.empty());
    rooms.on_message(
        a, R"({"type":"message","to":"carol","data":")" + std::string(400, 'x') + "\"}", kT0);
    CHECK(alice.one()["code"] == "queue-full");

    auto admission = rooms.admit(resume_request("r", "bob", token), kT0 + 1s);
    FakeSink bob2;
    rooms.attach(admission, bob2, kT0 + 1s);
    auto got = bob2.drain();
    REQUIRE(got.size() == 4);
    CHECK(got[1]["data"] == 0);
    CHECK(got[3]["data"] == 2);
}

TEST_CASE("signal::Rooms resume while the old socket still looks alive takes over") {
    Rooms rooms({}, "n1");
    FakeSink alice, bob;
    join(rooms, alice, "r", "alice");
    const auto b = join(rooms, bob, "r", "bob");
    const std::string token = welcome_of(bob)["resume"];
    alice.drain();
    auto admission = rooms.admit(resume_request("r", "bob", token), kT0 + 1s);
    REQUIRE(admission.ok);
    FakeSink bob2;
    const auto b2 = rooms.attach(admission, bob2, kT0 + 1s);
    CHECK(welcome_of(bob2)["resumed"] == true);
    CHECK(bob.close_code == 1000);
    CHECK(alice.sent.empty());               // bob never went away as far as the room is concerned
    rooms.on_disconnect(b, false, kT0 + 2s); // the old socket's late close: ignored
    CHECK(alice.sent.empty());
    CHECK(rooms.stats().peers == 2);
    CHECK(rooms.stats().away_peers == 0);
    rooms.on_disconnect(b2, false, kT0 + 3s);
    CHECK(alice.one()["type"] == "away");
}

TEST_CASE("signal::Rooms with zero grace: a dropped peer is gone at once") {
    RoomLimits limits;
    limits.resume_grace = std::chrono::milliseconds(0);
    Rooms rooms(limits, "n1");
    FakeSink alice, bob;
    join(rooms, alice, "r", "alice");
    const auto b = join(rooms, bob, "r", "bob");
    alice.drain();
    rooms.on_disconnect(b, false, kT0);
    CHECK(alice.one() == Json::parse(R"({"type":"left","id":"bob","reason":"gone"})"));
    CHECK(rooms.stats().away_peers == 0);
}

TEST_CASE("signal::Rooms next_deadline follows the earliest grace end") {
    Rooms rooms({}, "n1");
    CHECK_FALSE(rooms.next_deadline());
    FakeSink s1, s2;
    const auto c1 = join(rooms, s1, "r", "a");
    const auto c2 = join(rooms, s2, "r", "b");
    rooms.on_disconnect(c2, false, kT0 + 5s);
    rooms.on_disconnect(c1, false, kT0 + 2s);
    REQUIRE(rooms.next_deadline());
    CHECK(*rooms.next_deadline() == kT0 + 32s);
    rooms.on_timer(kT0 + 32s);
    REQUIRE(rooms.next_deadline());
    CHECK(*rooms.next_deadline() == kT0 + 35s);
    rooms.on_timer(kT0 + 35s);
    CHECK_FALSE(rooms.next_deadline());
    CHECK(rooms.stats().rooms == 0);
}
