// PeerJsServer::on_message: relaying between connected ids and what is ignored.
#include "peerjs_test_util.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace rtc::signal;
using namespace peerjs_test;
using namespace std::chrono_literals;

namespace {

struct Pair {
    PeerJsServer server;
    RecordingSink alice_sink, bob_sink;
    ConnectionId alice = 0, bob = 0;

    explicit Pair(PeerJsOptions options = {}) : server(std::move(options)) {
        auto a = open(server, "alice", alice_sink);
        auto b = open(server, "bob", bob_sink);
        REQUIRE(a);
        REQUIRE(b);
        alice = *a;
        bob = *b;
    }
    // Sent by alice; what bob received since, or "" if nothing.
    std::string alice_to_bob(std::string_view text) {
        std::size_t before = bob_sink.sent.size();
        server.on_message(alice, text, kT0);
        return bob_sink.sent.size() > before ? bob_sink.last() : std::string();
    }
};

} // namespace

TEST_CASE("peerjs relay: OFFER, ANSWER, CANDIDATE go to dst as {type,src,dst,payload}") {
    Pair p;
    // The shape peerjs 1.5.5 sends (Negotiator._makeOffer), abbreviated.
    CHECK(p.alice_to_bob(R"({"type":"OFFER","payload":{"sdp":{"type":"offer","sdp":"v=0\r\n"},)"
                         R"("type":"data","connectionId":"dc_1","label":"dc_1","reliable":true,)"
                         R"("serialization":"binary","browser":"chrome"},"dst":"bob"})") ==
          R"({"type":"OFFER","src":"alice","dst":"bob","payload":{"browser":"chrome",)"
          R"("connectionId":"dc_1","label":"dc_1","reliable":true,"sdp":{"sdp":"v=0\r\n",)"
          R"("type":"offer"},"serialization":"binary","type":"data"}})");
    std::size_t before = p.alice_sink.sent.size();
    p.server.on_message(p.bob, R"({"type":"ANSWER","payload":{"sdp":"a"},"dst":"alice"})", kT0);
    REQUIRE(p.alice_sink.sent.size() == before + 1);
    CHECK(p.alice_sink.last() ==
          R"({"type":"ANSWER","src":"bob","dst":"alice","payload":{"sdp":"a"}})");
    CHECK(p.alice_to_bob(R"({"type":"CANDIDATE","payload":{"candidate":null},"dst":"bob"})") ==
          R"({"type":"CANDIDATE","src":"alice","dst":"bob","payload":{"candidate":null}})");
    CHECK(p.server.stats().relayed == 3);
}

TEST_CASE("peerjs relay: src is the sender's id and other fields are dropped") {
    Pair p;
    CHECK(p.alice_to_bob(
              R"({"src":"mallory","extra":[1,2],"type":"OFFER","dst":"bob","payload":[]})") ==
          R"({"type":"OFFER","src":"alice","dst":"bob","payload":[]})");
}

TEST_CASE("peerjs relay: an absent payload is left out, a null one kept (JSON.stringify)") {
    Pair p;
    CHECK(p.alice_to_bob(R"({"type":"LEAVE","dst":"bob"})") ==
          R"({"type":"LEAVE","src":"alice","dst":"bob"})");
    CHECK(p.alice_to_bob(R"({"type":"EXPIRE","dst":"bob","payload":null})") ==
          R"({"type":"EXPIRE","src":"alice","dst":"bob","payload":null})");
}

TEST_CASE("peerjs relay: strings are re-escaped, unicode kept") {
    Pair p;
    CHECK(p.alice_to_bob(R"({"type":"OFFER","dst":"bob","payload":"q\"\\\u0001\u00e9/"})") ==
          R"({"type":"OFFER","src":"alice","dst":"bob","payload":"q\"\\\u0001)"
          "\xc3\xa9"
          R"(/"})");
}

TEST_CASE("peerjs relay: ids with quotes are escaped in src and dst") {
    PeerJsServer server;
    RecordingSink q_sink, b_sink;
    auto q = open(server, "a\"b\\c", q_sink);
    auto b = open(server, "b", b_sink);
    REQUIRE(q);
    REQUIRE(b);
    server.on_message(*q, R"({"type":"OFFER","dst":"b"})", kT0);
    CHECK(b_sink.last() == R"({"type":"OFFER","src":"a\"b\\c","dst":"b"})");
    server.on_message(*b, R"({"type":"ANSWER","dst":"a\"b\\c"})", kT0);
    CHECK(q_sink.last() == R"({"type":"ANSWER","src":"b","dst":"a\"b\\c"})");
    CHECK(b_sink.message(b_sink.sent.size() - 1)["src"] == "a\"b\\c");
}

TEST_CASE("peerjs relay: a message to oneself is delivered, as peer does") {
    Pair p;
    p.server.on_message(p.alice, R"({"type":"OFFER","dst":"alice"})", kT0);
    CHECK(p.alice_sink.last() == R"({"type":"OFFER","src":"alice","dst":"alice"})");
}

TEST_CASE("peerjs relay: HEARTBEAT is answered with nothing") {
    Pair p;
    CHECK(p.alice_to_bob(R"({"type":"HEARTBEAT"})").empty());
    CHECK(p.alice_sink.sent.size() == 1); // just OPEN
    CHECK(p.server.stats().heartbeats == 1);
}

TEST_CASE("peerjs relay: malformed input is counted and ignored, the socket stays") {
    Pair p;
    CHECK(p.alice_to_bob("{not json").empty());
    CHECK(p.alice_to_bob("").empty());
    CHECK(p.alice_to_bob("\xff\xfe").empty());
    std::string truncated_utf8 = R"({"type":"OFFER","dst":"bob","payload":")";
    truncated_utf8 += "\xc3\"}";
    CHECK(p.alice_to_bob(truncated_utf8).empty());
    CHECK(p.server.stats().drops_bad_json == 4);

    CHECK(p.alice_to_bob("[1,2]").empty());
    CHECK(p.alice_to_bob("42").empty());
    CHECK(p.alice_to_bob("null").empty());
    CHECK(p.alice_to_bob(R"({"type":"OFFER","dst":7})").empty());
    CHECK(p.alice_to_bob(R"({"type":"OFFER","dst":["bob"]})").empty());
    CHECK(p.server.stats().drops_bad_message == 5);

    CHECK(p.alice_to_bob(R"({"dst":"bob"})").empty());
    CHECK(p.alice_to_bob(R"({"type":5,"dst":"bob"})").empty());
    CHECK(p.alice_to_bob(R"({"type":"offer","dst":"bob"})").empty()); // case matters
    CHECK(p.alice_to_bob(R"({"type":"OPEN","dst":"bob"})").empty());
    CHECK(p.alice_to_bob(R"({"type":"ID-TAKEN","dst":"bob"})").empty());
    CHECK(p.server.stats().drops_unknown_type == 5);

    CHECK(p.alice_sink.closes == 0);
    CHECK(p.alice_to_bob(R"({"type":"OFFER","dst":"bob"})") ==
          R"({"type":"OFFER","src":"alice","dst":"bob"})");
}

TEST_CASE("peerjs relay: too big and too deep messages are dropped") {
    Pair p(options_with([](PeerJsOptions& o) { o.max_message = 100; }));
    std::string big = R"({"type":"OFFER","dst":"bob","payload":")" + std::string(80, 'x') + "\"}";
    CHECK(big.size() > 100);
    CHECK(p.alice_to_bob(big).empty());
    CHECK(p.server.stats().drops_too_big == 1);

    Pair deep;
    std::string nested = R"({"type":"OFFER","dst":"bob","payload":)" + std::string(100, '[') +
                         std::string(100, ']') + "}";
    CHECK(deep.alice_to_bob(nested).empty());
    CHECK(deep.server.stats().drops_bad_json == 1);
    // Brackets inside strings are not nesting.
    std::string in_string =
        R"({"type":"OFFER","dst":"bob","payload":")" + std::string(100, '[') + R"(\"{"})";
    CHECK_FALSE(deep.alice_to_bob(in_string).empty());
    std::string shallow = R"({"type":"OFFER","dst":"bob","payload":)" + std::string(30, '[') +
                          std::string(30, ']') + "}";
    CHECK_FALSE(deep.alice_to_bob(shallow).empty());
}

TEST_CASE("peerjs relay: without dst nothing is sent; LEAVE without dst makes the sender leave") {
    Pair p;
    CHECK(p.alice_to_bob(R"({"type":"OFFER","payload":1})").empty());
    CHECK(p.alice_to_bob(R"({"type":"CANDIDATE","dst":"","payload":1})").empty());
    CHECK(p.alice_to_bob(R"({"type":"ANSWER","dst":null})").empty());
    CHECK(p.server.stats().drops_no_dst == 3);
    CHECK(p.server.stats().queues == 0);
    CHECK(p.alice_sink.closes == 0);

    CHECK(p.alice_to_bob(R"({"type":"LEAVE"})").empty());
    CHECK(p.alice_sink.closes == 1);
    CHECK(p.server.stats().leaves == 1);
    CHECK(p.server.stats().clients == 1);
    // alice is gone: messages to her are queued, hers are ignored.
    p.server.on_message(p.bob, R"({"type":"OFFER","dst":"alice"})", kT0);
    CHECK(p.server.stats().queued_messages == 1);
    CHECK(p.alice_to_bob(R"({"type":"OFFER","dst":"bob"})").empty());
}

TEST_CASE("peerjs relay: a dst that can never be an id is dropped") {
    Pair p(options_with([](PeerJsOptions& o) { o.max_id_length = 10; }));
    CHECK(p.alice_to_bob(R"({"type":"OFFER","dst":"01234567890"})").empty());
    CHECK(p.alice_to_bob(R"({"type":"OFFER","dst":"a\nb"})").empty());
    CHECK(p.server.stats().drops_bad_message == 2);
    CHECK(p.server.stats().queues == 0);
}
