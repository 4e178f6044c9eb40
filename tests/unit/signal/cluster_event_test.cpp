#include "signal/cluster_event.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rtc::signal;

TEST_CASE("signal cluster events round-trip (bus schema v1)") {
    auto join = decode_cluster_event(
        encode_peer_event(ClusterEventKind::Join, "node-a", "lobby", "alice"), 1000);
    REQUIRE(join);
    CHECK(join->kind == ClusterEventKind::Join);
    CHECK(join->node == "node-a");
    CHECK(join->room == "lobby");
    CHECK(join->peer == "alice");

    auto leave = decode_cluster_event(
        encode_peer_event(ClusterEventKind::Leave, "node-a", "lobby", "alice", kLeftGone), 1000);
    REQUIRE(leave);
    CHECK(leave->kind == ClusterEventKind::Leave);
    CHECK(leave->reason == "gone");

    const std::string text = R"({"type":"offer","sdp":"v=0","from":"alice"})";
    auto msg = decode_cluster_event(
        encode_message_event("node-a", "lobby", "alice", "bob", "offer", Json(7), text), 1000);
    REQUIRE(msg);
    CHECK(msg->kind == ClusterEventKind::Message);
    CHECK(msg->from == "alice");
    CHECK(msg->to == "bob");
    CHECK(msg->of == "offer");
    CHECK(msg->ref == 7);
    CHECK(msg->text == text);
    auto broadcast = decode_cluster_event(
        encode_message_event("node-a", "lobby", "alice", "", "bye", Json(), "{}"), 1000);
    REQUIRE(broadcast);
    CHECK(broadcast->to.empty());
    CHECK(broadcast->ref.is_null());

    RosterWriter roster("node-a");
    roster.begin_room("lobby");
    roster.add_peer("alice");
    roster.add_peer("bob");
    roster.begin_room("r2");
    roster.add_peer("carol");
    const std::string roster_text = roster.finish();
    CHECK(Json::parse(roster_text) ==
          Json::parse(R"({"v":1,"n":"node-a","e":"roster","s":{"lobby":["alice","bob"],
                          "r2":["carol"]}})"));
    auto r = decode_cluster_event(roster_text, 1000);
    REQUIRE(r);
    CHECK(r->kind == ClusterEventKind::Roster);
    REQUIRE(r->roster.size() == 2);

    RosterWriter empty("node-b");
    auto e = decode_cluster_event(empty.finish(), 1000);
    REQUIRE(e);
    CHECK(e->roster.empty());
}

TEST_CASE("signal cluster events refuse anything malformed") {
    const char* bad[] = {
        "",
        "null",
        "[]",
        R"({"n":"a","e":"join","r":"x","p":"y"})",         // no version
        R"({"v":2,"n":"a","e":"join","r":"x","p":"y"})",   // another version
        R"({"v":1,"e":"join","r":"x","p":"y"})",           // no node
        R"({"v":1,"n":"","e":"join","r":"x","p":"y"})",    // empty node
        R"({"v":1,"n":"a b","e":"join","r":"x","p":"y"})", // node with a space
        R"({"v":1,"n":"a","e":"hop","r":"x","p":"y"})",    // unknown kind
        R"({"v":1,"n":"a","e":"join","r":"x"})",           // no peer
        R"({"v":1,"n":"a","e":"join","r":"x y","p":"y"})", // bad room
        R"({"v":1,"n":"a","e":"leave","r":"x","p":"y"})",  // leave without reason
        R"({"v":1,"n":"a","e":"leave","r":"x","p":"y","w":"?"})",
        R"({"v":1,"n":"a","e":"msg","r":"x","f":"y","o":"offer"})",               // no text
        R"({"v":1,"n":"a","e":"msg","r":"x","f":"y","o":"hop","m":"{}"})",        // bad type
        R"({"v":1,"n":"a","e":"msg","r":"x","o":"offer","m":"{}"})",              // no sender
        R"({"v":1,"n":"a","e":"msg","r":"x","f":"y","t":"","o":"bye","m":"{}"})", // empty to
        R"({"v":1,"n":"a","e":"msg","r":"x","f":"y","o":"bye","m":"{}","i":[1]})",
        R"({"v":1,"n":"a","e":"msg","r":"x","f":"y","o":"bye","m":"{x"})",  // text not JSON
        R"({"v":1,"n":"a","e":"msg","r":"x","f":"y","o":"bye","m":"[1]"})", // not an object
        R"({"v":1,"n":"a","e":"msg","r":"x","f":"y","o":"bye","m":"{}x"})",
        R"({"v":1,"n":"a","e":"roster","s":{"x":"y"}})",
        R"({"v":1,"n":"a","e":"roster","s":{"x":["y z"]}})",
        R"({"v":1,"n":"a","e":"roster","s":[]})",
        R"({"v":1,"n":"a","e":"roster","s":{"x":[["y"]]}})", // not a string
        R"({"v":1,"n":"a","e":"msg","r":"x","f":"y","o":"bye","m":"{}","i":[[[[1]]]]})", // deep
    };
    for (const char* text : bad) {
        INFO(text);
        CHECK_FALSE(decode_cluster_event(text, 1000));
    }
    // The text bound.
    const std::string big = R"({"d":")" + std::string(1992, 'x') + "\"}";
    REQUIRE(big.size() == 2000);
    CHECK_FALSE(
        decode_cluster_event(encode_message_event("a", "x", "y", "", "bye", Json(), big), 1000));
    CHECK(decode_cluster_event(encode_message_event("a", "x", "y", "", "bye", Json(), big), 2000));
}
