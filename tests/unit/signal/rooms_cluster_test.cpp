// Two signal::Rooms nodes joined by an in-test bus: shared rooms and delivery across nodes.
#include "rooms_test_util.hpp"

using namespace rtc::signal;
using namespace rooms_test;

namespace {

struct Cluster {
    TestBus bus_a, bus_b;
    Rooms a;
    Rooms b;

    explicit Cluster(RoomLimits limits = {})
        : a(limits, "node-a", &bus_a), b(limits, "node-b", &bus_b) {
        a.on_cluster_connected(kT0);
        b.on_cluster_connected(kT0);
        pump(kT0);
    }
    std::size_t pump(TimePoint now) { return rooms_test::pump({{&bus_a, &a}, {&bus_b, &b}}, now); }
};

} // namespace

TEST_CASE("signal::Rooms across two nodes: joins are seen, messages are delivered") {
    Cluster c;
    FakeSink alice, bob, carol;
    const auto ca = join(c.a, alice, "lobby", "alice");
    c.pump(kT0);
    const auto cb = join(c.b, bob, "lobby", "bob");
    CHECK(welcome_of(bob)["peers"] == Json::array({"alice"}));
    c.pump(kT0);
    CHECK(alice.drain().back() == Json::parse(R"({"type":"joined","id":"bob"})"));
    join(c.a, carol, "lobby", "carol");
    c.pump(kT0);
    CHECK(bob.one() == Json::parse(R"({"type":"joined","id":"carol"})"));
    alice.drain(), carol.drain();

    // A direct message to a peer on the other node.
    c.a.on_message(ca, R"({"type":"offer","to":"bob","sdp":"v=0","id":1})", kT0);
    CHECK(bob.sent.empty()); // not before the bus delivers it
    c.pump(kT0);
    CHECK(bob.one() == Json::parse(R"({"type":"offer","to":"bob","sdp":"v=0","id":1,
                                       "from":"alice"})"));
    CHECK(carol.sent.empty());

    // The reply, and a room-wide message from node b reaching both peers on node a once.
    c.b.on_message(cb, R"({"type":"answer","to":"alice","sdp":"v=0 a"})", kT0);
    c.b.on_message(cb, R"({"type":"message","data":"hi all"})", kT0);
    c.pump(kT0);
    auto to_alice = alice.drain();
    REQUIRE(to_alice.size() == 2);
    CHECK(to_alice[0]["type"] == "answer");
    CHECK(to_alice[0]["from"] == "bob");
    CHECK(to_alice[1]["data"] == "hi all");
    CHECK(carol.one()["data"] == "hi all");
    CHECK(bob.sent.empty()); // the sender does not get its own broadcast

    CHECK(c.a.stats().remote_peers == 1);
    CHECK(c.b.stats().remote_peers == 2);
    CHECK(c.b.stats().relayed == 1);
    CHECK(c.a.stats().relayed == 3);
    CHECK(c.a.stats().cluster_bad == 0);
    CHECK(c.b.stats().cluster_bad == 0);
}

TEST_CASE("signal::Rooms publishes messages only when a recipient is on another node") {
    Cluster c;
    FakeSink alice, bob, dave;
    const auto ca = join(c.a, alice, "lobby", "alice");
    join(c.a, bob, "lobby", "bob");
    join(c.b, dave, "other", "dave");
    c.pump(kT0);
    const auto before = c.a.stats().cluster_out;
    c.a.on_message(ca, R"({"type":"bye","to":"bob"})", kT0);
    c.a.on_message(ca, R"({"type":"bye"})", kT0);
    CHECK(c.bus_a.pending.empty());
    CHECK(c.a.stats().cluster_out == before);
    CHECK(dave.sent.size() == 1); // only its welcome
}

TEST_CASE("signal::Rooms across nodes: ids are unique per room and room limits count both") {
    RoomLimits limits;
    limits.max_peers_per_room = 2;
    Cluster c(limits);
    FakeSink alice, bob;
    join(c.a, alice, "lobby", "alice");
    c.pump(kT0);
    auto taken = c.b.admit({.room = "lobby", .peer_id = "alice", .resume_token = {}}, kT0);
    CHECK(taken.http_status == 409);
    CHECK(taken.error == "id-taken");
    join(c.b, bob, "lobby", "bob");
    c.pump(kT0);
    CHECK(c.a.admit({.room = "lobby", .peer_id = "carol", .resume_token = {}}, kT0).error ==
          "room-full");
    CHECK(c.b.admit({.room = "lobby", .peer_id = "carol", .resume_token = {}}, kT0).error ==
          "room-full");
    CHECK(c.b.stats().rooms == 1);
}

TEST_CASE("signal::Rooms across nodes: away, back, leave and expired notices travel") {
    Cluster c;
    FakeSink alice, bob;
    const auto ca = join(c.a, alice, "lobby", "alice");
    const auto cb = join(c.b, bob, "lobby", "bob");
    const std::string token = welcome_of(bob)["resume"];
    c.pump(kT0);
    alice.drain();

    c.b.on_disconnect(cb, false, kT0);
    c.pump(kT0);
    CHECK(alice.one() == Json::parse(R"({"type":"away","id":"bob"})"));
    // A message for the away peer is queued on its node.
    c.a.on_message(ca, R"({"type":"offer","to":"bob","sdp":"x","id":"o1"})", kT0);
    c.pump(kT0);
    CHECK(c.b.stats().queued == 1);

    FakeSink bob2;
    auto admission = c.b.admit({.room = "lobby", .peer_id = "bob", .resume_token = token}, kT0);
    REQUIRE(admission.ok);
    const auto cb2 = c.b.attach(admission, bob2, kT0);
    auto got = bob2.drain();
    REQUIRE(got.size() == 2);
    CHECK(got[1]["from"] == "alice");
    c.pump(kT0);
    CHECK(alice.one() == Json::parse(R"({"type":"back","id":"bob"})"));

    // Away again, a queued message, then the grace ends: alice hears left/gone and expired.
    c.b.on_disconnect(cb2, false, kT0 + 1s);
    c.a.on_message(ca, R"({"type":"offer","to":"bob","sdp":"x","id":"o2"})", kT0 + 1s);
    c.pump(kT0 + 1s);
    alice.drain();
    // Both nodes publish rosters meanwhile (else each forgets the other after 15 s).
    for (const auto at : {kT0 + 10s, kT0 + 20s}) {
        c.a.on_timer(at);
        c.b.on_timer(at);
        c.pump(at);
    }
    CHECK(alice.sent.empty());
    c.b.on_timer(kT0 + 31s);
    c.pump(kT0 + 31s);
    auto to_alice = alice.drain();
    REQUIRE(to_alice.size() == 2);
    CHECK(to_alice[0] == Json::parse(R"({"type":"left","id":"bob","reason":"gone"})"));
    CHECK(to_alice[1] == Json::parse(R"({"type":"expired","to":"bob","ref":"o2","of":"offer"})"));
    CHECK(c.a.stats().remote_peers == 0);

    // A clean leave on node a is "left"/"leave" on node b.
    FakeSink carol;
    join(c.b, carol, "lobby", "carol");
    c.pump(kT0 + 31s);
    carol.drain();
    c.a.on_disconnect(ca, true, kT0 + 32s);
    c.pump(kT0 + 32s);
    CHECK(carol.one() == Json::parse(R"({"type":"left","id":"alice","reason":"leave"})"));
}

TEST_CASE("signal::Rooms forgets a node silent for 15 s") {
    Cluster c;
    FakeSink alice, bob;
    join(c.a, alice, "lobby", "alice");
    join(c.b, bob, "lobby", "bob");
    c.pump(kT0);
    alice.drain();
    CHECK(c.a.stats().remote_peers == 1);

    // Node b keeps publishing rosters every 5 s: node a keeps it.
    for (int s = 5; s <= 20; s += 5) {
        const auto now = kT0 + std::chrono::seconds(s);
        c.b.on_timer(now);
        c.a.on_timer(now);
        c.pump(now);
    }
    CHECK(c.a.stats().remote_peers == 1);
    CHECK(alice.sent.empty());

    // Node b dies: 15 s after its last roster node a forgets its peers.
    const auto last = kT0 + 20s;
    REQUIRE(c.a.next_deadline());
    CHECK(*c.a.next_deadline() <= last + 15s);
    c.a.on_timer(last + 14s);
    CHECK(c.a.stats().remote_peers == 1);
    c.a.on_timer(last + 15s);
    CHECK(c.a.stats().remote_peers == 0);
    auto got = alice.drain();
    REQUIRE(!got.empty());
    CHECK(got.front() == Json::parse(R"({"type":"left","id":"bob","reason":"gone"})"));
    // bob's id is free on node a again.
    CHECK(c.a.admit({.room = "lobby", .peer_id = "bob", .resume_token = {}}, last + 15s).ok);
}

TEST_CASE("signal::Rooms rosters repair lost events and announce on (re)connect") {
    TestBus bus_a, bus_b;
    Rooms a({}, "node-a", &bus_a);
    Rooms b({}, "node-b", &bus_b);
    FakeSink alice, bob;
    const auto ca = join(a, alice, "lobby", "alice");
    join(b, bob, "lobby", "bob");
    // Everything published so far is lost (the bus was down).
    bus_a.pending.clear();
    bus_b.pending.clear();
    CHECK(b.stats().remote_peers == 0);

    // Node a's bus comes up: its roster tells node b about alice; b answers with its own.
    a.on_cluster_connected(kT0);
    REQUIRE(bus_a.pending.size() == 1);
    pump({{&bus_a, &a}, {&bus_b, &b}}, kT0);
    CHECK(b.stats().remote_peers == 1);
    CHECK(a.stats().remote_peers == 1);
    CHECK(bob.drain().back() == Json::parse(R"({"type":"joined","id":"alice"})"));
    CHECK(alice.drain().back() == Json::parse(R"({"type":"joined","id":"bob"})"));

    // alice's leave event is lost; the next roster from node a repairs it.
    a.on_disconnect(ca, true, kT0 + 1s);
    bus_a.pending.clear();
    CHECK(b.stats().remote_peers == 1);
    a.on_timer(kT0 + 5s);
    REQUIRE(bus_a.pending.size() == 1);
    CHECK(bus_a.pending[0].find(R"("e":"roster")") != std::string::npos);
    pump({{&bus_a, &a}, {&bus_b, &b}}, kT0 + 5s);
    CHECK(b.stats().remote_peers == 0);
    CHECK(bob.drain().back() == Json::parse(R"({"type":"left","id":"alice","reason":"gone"})"));
}

TEST_CASE("signal::Rooms roster publication is due at once, then every 5 s") {
    TestBus bus;
    Rooms rooms({}, "node-a", &bus);
    REQUIRE(rooms.next_deadline());
    CHECK(*rooms.next_deadline() <= kT0); // never published yet
    rooms.on_timer(kT0);
    CHECK(bus.pending.size() == 1);
    REQUIRE(rooms.next_deadline());
    CHECK(*rooms.next_deadline() == kT0 + 5s);
    rooms.on_timer(kT0 + 4s);
    CHECK(bus.pending.size() == 1);
    rooms.on_timer(kT0 + 5s);
    CHECK(bus.pending.size() == 2);
    // Without a bus nothing is due.
    Rooms alone({}, "solo");
    CHECK_FALSE(alone.next_deadline());
}

TEST_CASE("signal::Rooms ignores its own events and counts malformed ones") {
    TestBus bus;
    Rooms rooms({}, "node-a", &bus);
    FakeSink alice;
    join(rooms, alice, "lobby", "alice");
    alice.drain();
    // Its own join coming back from the bus changes nothing.
    for (const auto& p : bus.pending)
        rooms.on_cluster_event(p, kT0);
    CHECK(rooms.stats().remote_peers == 0);
    CHECK(rooms.stats().cluster_in == 0);
    CHECK(rooms.stats().cluster_bad == 0);

    for (const char* bad : {"", "{", "[]", R"({"v":1,"n":"node-b","e":"join","r":"lobby"})",
                            R"({"v":9,"n":"node-b","e":"join","r":"lobby","p":"x"})"})
        rooms.on_cluster_event(bad, kT0);
    CHECK(rooms.stats().cluster_bad == 5);
    CHECK(rooms.stats().cluster_in == 5);
    CHECK(alice.sent.empty());

    // A well-formed event from a real other node.
    rooms.on_cluster_event(R"({"v":1,"n":"node-b","e":"join","r":"lobby","p":"bob"})", kT0);
    CHECK(alice.one() == Json::parse(R"({"type":"joined","id":"bob"})"));
    CHECK(rooms.stats().cluster_in == 6);
    // A message from node b claiming to come from node a's own peer to itself: delivered by id.
    rooms.on_cluster_event(
        R"({"v":1,"n":"node-b","e":"msg","r":"lobby","f":"bob","t":"alice","o":"bye","m":"{\"type\":\"bye\",\"from\":\"bob\"}"})",
        kT0);
    CHECK(alice.one() == Json::parse(R"({"type":"bye","from":"bob"})"));
    // To a peer nobody has: dropped quietly.
    rooms.on_cluster_event(
        R"({"v":1,"n":"node-b","e":"msg","r":"lobby","f":"bob","t":"zed","o":"bye","m":"{}"})",
        kT0);
    CHECK(alice.sent.empty());
}
