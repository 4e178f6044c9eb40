#include "signal/schema.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace rtc::signal;

TEST_CASE("signal::valid_id accepts 1-64 unreserved characters") {
    CHECK(valid_id("a"));
    CHECK(valid_id("Alice-01_x.y~z"));
    CHECK(valid_id(std::string(64, 'x')));
    CHECK_FALSE(valid_id(""));
    CHECK_FALSE(valid_id(std::string(65, 'x')));
    CHECK_FALSE(valid_id("a b"));
    CHECK_FALSE(valid_id("a/b"));
    CHECK_FALSE(valid_id("a?b"));
    CHECK_FALSE(valid_id("."));
    CHECK_FALSE(valid_id(".."));
    CHECK(valid_id("..."));
    CHECK(valid_id(".a"));
    CHECK_FALSE(valid_id("caf\xc3\xa9"));
    CHECK_FALSE(valid_id(std::string("a\0b", 3)));
}

TEST_CASE("signal::json_depth_within counts nesting outside strings") {
    CHECK(json_depth_within("{}", 1));
    CHECK_FALSE(json_depth_within("[[]]", 1));
    CHECK(json_depth_within(R"({"a":"[[[[[[["})", 1));
    CHECK(json_depth_within(R"({"a":"\"[[[["})", 1)); // escaped quote stays inside the string
    CHECK_FALSE(json_depth_within(R"({"a":"\\",[[[]]]})", 2)); // escaped backslash ends it
    std::string deep(32, '[');
    deep += std::string(32, ']');
    CHECK(json_depth_within(deep, 32));
    CHECK_FALSE(json_depth_within("[" + deep + "]", 32));
    // Closing brackets never go below zero, so "]]][[" is depth 2.
    CHECK(json_depth_within("]]][[", 2));
    CHECK_FALSE(json_depth_within("]]][[[", 2));
}

TEST_CASE("signal::parse_client_message accepts the v1 client messages") {
    auto offer = parse_client_message(R"({"type":"offer","to":"bob","sdp":"v=0\r\n","id":7})");
    REQUIRE(offer.message);
    CHECK(offer.message->type == MessageType::Offer);
    CHECK(offer.message->to == "bob");
    CHECK(offer.message->ref == 7);

    auto answer = parse_client_message(R"({"type":"answer","sdp":"v=0","x-app":{"k":1}})");
    REQUIRE(answer.message);
    CHECK(answer.message->to.empty());
    CHECK(answer.message->ref.is_null());
    CHECK(answer.message->body["x-app"]["k"] == 1); // unknown fields are kept

    auto cand = parse_client_message(
        R"({"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0"}})");
    REQUIRE(cand.message);
    CHECK(cand.message->body["candidate"]["sdpMid"] == "0");
    CHECK(parse_client_message(R"({"type":"candidate","candidate":"candidate:1 1 udp"})").message);

    // A null candidate is end-of-candidates, written "end":true.
    auto end = parse_client_message(R"({"type":"candidate","candidate":null,"to":"bob"})");
    REQUIRE(end.message);
    CHECK_FALSE(end.message->body.contains("candidate"));
    CHECK(end.message->body["end"] == true);
    CHECK(parse_client_message(R"({"type":"candidate","end":true})").message);

    CHECK(parse_client_message(R"({"type":"bye"})").message);
    CHECK(parse_client_message(R"({"type":"message","data":null})").message);
    CHECK(parse_client_message(R"({"type":"leave"})").message->type == MessageType::Leave);
    auto to_null = parse_client_message(R"({"type":"bye","to":null})");
    REQUIRE(to_null.message);
    CHECK(to_null.message->to.empty());
    CHECK_FALSE(to_null.message->body.contains("to"));
    CHECK(parse_client_message(R"({"type":"bye","id":"m-1"})").message->ref == "m-1");
}

TEST_CASE("signal::parse_client_message refuses with the schema's error codes") {
    struct Case {
        const char* text;
        std::string_view code;
    };
    const Case cases[] = {
        {"", error_code::kBadJson},
        {"{", error_code::kBadJson},
        {"{\"type\":\"bye\"} x", error_code::kBadJson},
        {"[1,2]", error_code::kBadMessage},
        {"\"offer\"", error_code::kBadMessage},
        {"{}", error_code::kBadMessage},
        {R"({"type":5})", error_code::kBadMessage},
        {R"({"type":"welcome"})", error_code::kUnknownType},
        {R"({"type":"OFFER","sdp":""})", error_code::kUnknownType},
        {R"({"type":"offer"})", error_code::kBadMessage},
        {R"({"type":"offer","sdp":5})", error_code::kBadMessage},
        {R"({"type":"answer","sdp":null})", error_code::kBadMessage},
        {R"({"type":"candidate"})", error_code::kBadMessage},
        {R"({"type":"candidate","candidate":5})", error_code::kBadMessage},
        {R"({"type":"candidate","end":false})", error_code::kBadMessage},
        {R"({"type":"candidate","candidate":"c","end":true})", error_code::kBadMessage},
        {R"({"type":"message"})", error_code::kBadMessage},
        {R"({"type":"bye","to":""})", error_code::kBadMessage},
        {R"({"type":"bye","to":"a b"})", error_code::kBadMessage},
        {R"({"type":"bye","to":["bob"]})", error_code::kBadMessage},
        {R"({"type":"bye","id":{"a":1}})", error_code::kBadMessage},
        {"{\"type\":\"bye\",\"x\":\"\xff\"}", error_code::kBadJson}, // not UTF-8
    };
    for (const auto& c : cases) {
        INFO(c.text);
        auto r = parse_client_message(c.text);
        CHECK_FALSE(r.message);
        CHECK(r.error_code == c.code);
        CHECK_FALSE(r.error_text.empty());
    }
    // The id comes back as ref whenever it could be read.
    auto r = parse_client_message(R"({"type":"nope","id":"q1"})");
    CHECK(r.ref == "q1");
}

TEST_CASE("signal::parse_client_message refuses nesting deeper than 32 before parsing") {
    std::string deep = R"({"type":"message","data":)";
    deep += std::string(40, '[') + std::string(40, ']') + "}";
    auto r = parse_client_message(deep);
    CHECK_FALSE(r.message);
    CHECK(r.error_code == error_code::kBadJson);

    std::string ok = R"({"type":"message","data":)";
    ok += std::string(31, '[') + std::string(31, ']') + "}";
    CHECK(parse_client_message(ok).message);

    // A million brackets: refused by the scan, no stack or heap blow-up.
    CHECK_FALSE(parse_client_message(std::string(1000000, '[')).message);
}

TEST_CASE("signal::stamp_from replaces the client's own from") {
    auto r = parse_client_message(R"({"type":"bye","from":"mallory","to":"bob"})");
    REQUIRE(r.message);
    const Json out = Json::parse(stamp_from(r.message->body, "alice"));
    CHECK(out["from"] == "alice");
    CHECK(out["to"] == "bob");
    CHECK(out["type"] == "bye");
}

TEST_CASE("signal server messages follow schema v1") {
    const std::vector<std::string> peers{"bob", "carol"};
    const Json w = Json::parse(welcome_message("r1", "alice", peers, "tok", false, 30000));
    CHECK(w == Json::parse(R"({"type":"welcome","v":1,"room":"r1","id":"alice",
        "peers":["bob","carol"],"resume":"tok","resumed":false,"resume_grace_ms":30000})"));
    CHECK(Json::parse(joined_message("bob")) == Json::parse(R"({"type":"joined","id":"bob"})"));
    CHECK(Json::parse(left_message("bob", kLeftGone)) ==
          Json::parse(R"({"type":"left","id":"bob","reason":"gone"})"));
    CHECK(Json::parse(away_message("bob")) == Json::parse(R"({"type":"away","id":"bob"})"));
    CHECK(Json::parse(back_message("bob")) == Json::parse(R"({"type":"back","id":"bob"})"));
    CHECK(Json::parse(error_message("bad-json", "x", Json())) ==
          Json::parse(R"({"type":"error","code":"bad-json","message":"x"})"));
    CHECK(Json::parse(error_message("unknown-peer", "x", Json(3))) ==
          Json::parse(R"({"type":"error","code":"unknown-peer","message":"x","ref":3})"));
    CHECK(Json::parse(expired_message("bob", Json("m1"), "offer")) ==
          Json::parse(R"({"type":"expired","to":"bob","ref":"m1","of":"offer"})"));
}

namespace {

using Verdict = ClientMessageScanner::Verdict;

// The scanner's answer and the DOM path's (parse_client_message + stamp_from) side by side: the
// same verdict, fields, error and relayed object (up to key order). Returns the verdict.
Verdict check_same_as_dom(std::string_view text) {
    INFO(text);
    ClientMessageScanner scanner;
    const Verdict verdict = scanner.scan(text, "alice");
    ParseResult dom = parse_client_message(text);
    switch (verdict) {
    case Verdict::Relay:
        REQUIRE(dom.message);
        CHECK(scanner.type() == dom.message->type);
        CHECK(scanner.to() == dom.message->to);
        CHECK(scanner.ref() == dom.message->ref);
        CHECK(Json::parse(scanner.relayed()) ==
              Json::parse(stamp_from(dom.message->body, "alice")));
        break;
    case Verdict::Refuse:
        CHECK_FALSE(dom.message);
        CHECK(scanner.error_code() == dom.error_code);
        CHECK(scanner.error_text() == dom.error_text);
        CHECK(scanner.ref() == dom.ref);
        break;
    case Verdict::UseDom:
        break;
    }
    return verdict;
}

} // namespace

TEST_CASE("signal::ClientMessageScanner answers as parse_client_message does") {
    const std::vector<std::string> relayed = {
        R"({"type":"offer","to":"bob","sdp":"v=0\r\n","id":7})",
        R"({"type":"answer","sdp":"v=0","x-app":{"k":1}})",
        R"({"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ )"
        R"(host","sdpMid":"0"}})",
        R"({"type":"candidate","candidate":"candidate:1 1 udp"})",
        R"({"type":"candidate","end":true,"to":"bob"})",
        R"({"type":"bye"})",
        R"({"type":"message","data":null})",
        R"({"type":"message","to":"bob","data":{"nested":[1,2,{"from":"x"}]},"id":"m-1"})",
        R"({"type":"leave"})",
        R"({"type":"bye","id":-1.5e3})",
        R"({"type":"bye","id":12345678901234567890123})",
        R"({"type":"bye","from":"mallory","to":"bob"})",
        R"({"from":"a","type":"bye","from":"b","x":1,"from":"c"})",
        R"({"type":"offer","type":"bye"})",          // the last of duplicates wins
        R"({"to":"carol","type":"bye","to":"bob"})", // in the relayed object too
        R"({"type":"\u006fffer","sdp":""})",         // escaped values are decoded
        R"({"type":"bye","to":"b\u006fb"})",
        R"({"type":"message","data":"caf\u00e9 \ud83d\ude00","id":"r\u00e9f"})",
        "\xef\xbb\xbf {\"type\":\"bye\"} \r\n",
        "{\n  \"type\" : \"bye\" ,\n  \"from\" : \"x\"\n}\n",
        std::string("{\"type\":\"bye\"}\0{\"from\":", 20), // nlohmann stops at a NUL
    };
    for (const auto& text : relayed)
        CHECK(check_same_as_dom(text) == Verdict::Relay);
    std::string escaped_o17 = R"({"type":")";
    for (int i = 0; i < 17; ++i)
        escaped_o17 += R"(\u006f)";
    escaped_o17 += "\"}";
    const std::vector<std::string> refused = {
        "",
        "{",
        "{\"type\":\"bye\"} x",
        "[1,2]",
        "\"offer\"",
        "{}",
        R"({"type":5})",
        R"({"type":"welcome"})",
        R"({"type":"OFFER","sdp":""})",
        R"({"type":"offer"})",
        R"({"type":"offer","sdp":5})",
        R"({"type":"answer","sdp":null})",
        R"({"type":"candidate"})",
        R"({"type":"candidate","candidate":5})",
        R"({"type":"candidate","end":false})",
        R"({"type":"candidate","end":null})",
        R"({"type":"candidate","candidate":"c","end":true})",
        R"({"type":"message"})",
        R"({"type":"bye","to":""})",
        R"({"type":"bye","to":"a b"})",
        R"({"type":"bye","to":["bob"]})",
        R"({"type":"bye","to":"\u0000"})",
        R"({"type":"bye","to":")" + std::string(65, 'x') + "\"}",
        R"({"type":"bye","to":")" + std::string(60, 'x') + R"(\u0078\u0078\u0078\u0078\u0078"})",
        R"({"type":"bye","id":{"a":1}})",
        R"({"type":"bye","id":true,"to":"a b"})",
        R"({"type":"nope","id":"q1"})",
        R"({"type":"offer\u0000","id":[]})",
        escaped_o17, // decodes to 17 characters: no type is that long
        "{\"type\":\"bye\",\"x\":\"\xff\"}",
        R"({"type":"bye","n":1e400})",
        R"({"type":"message","data":)" + std::string(40, '[') + std::string(40, ']') + "}",
        std::string(40, '[') + "x",
        "x" + std::string(40, '['),
        " \xef\xbb\xbf{}", // a byte order mark only at the start
        std::string("{\"type\":\"bye\"}\0", 15) + std::string(40, '['), // brackets counted
    };
    for (const auto& text : refused)
        CHECK(check_same_as_dom(text) == Verdict::Refuse);
    // Shapes the scanner leaves to the DOM, which rewrites them.
    const std::vector<std::string> dom = {
        R"({"type":"bye","to":null})",
        R"({"type":"candidate","candidate":null,"to":"bob"})",
        R"({"type":"candidate","candidate":null,"end":true})",
        R"({"type":"bye","\u0066rom":"mallory"})",
        R"({"t\u0079pe":"bye"})",
    };
    for (const auto& text : dom)
        CHECK(check_same_as_dom(text) == Verdict::UseDom);
}

TEST_CASE("signal::ClientMessageScanner relays the client's bytes with from stamped") {
    ClientMessageScanner s;
    const auto relay = [&](std::string_view text) {
        REQUIRE(s.scan(text, "alice") == Verdict::Relay);
        return std::string(s.relayed());
    };
    CHECK(relay(R"({"type":"bye","to":"bob"})") == R"({"type":"bye","to":"bob","from":"alice"})");
    CHECK(relay(R"({"from":"mallory","type":"bye"})") == R"({"type":"bye","from":"alice"})");
    CHECK(relay(R"({ "type" : "message" , "from":1, "data" : {"from":"x"} , "from" : "y" })") ==
          R"({"type" : "message","data" : {"from":"x"},"from":"alice"})");
    // Unknown members stay where and as they were written.
    CHECK(relay(R"({"x-app":[1, 2],"type":"answer","sdp":"v=0\r\n\u00e9"})") ==
          R"({"x-app":[1, 2],"type":"answer","sdp":"v=0\r\n\u00e9","from":"alice"})");
    CHECK(relay(R"({"type":"bye","to":"b\u006fb","id":"m-1"})") ==
          R"({"type":"bye","to":"b\u006fb","id":"m-1","from":"alice"})");
    CHECK(s.to() == "bob");
    CHECK(s.ref_text() == R"("m-1")");
    CHECK(s.ref() == "m-1");
    CHECK(relay(R"({"type":"bye","id":7})") == R"({"type":"bye","id":7,"from":"alice"})");
    CHECK(s.ref() == 7);
    CHECK(s.to().empty());

    // A sender that is not a peer id is still written as a JSON string.
    REQUIRE(s.scan(R"({"type":"bye"})", "a\"b") == Verdict::Relay);
    CHECK(Json::parse(s.relayed())["from"] == "a\"b");

    // The buffer is reused: no allocation per message once it has grown.
    REQUIRE(s.scan(R"({"type":"message","data":"0123456789abcdef0123456789"})", "alice") ==
            Verdict::Relay);
    const char* buffer = s.relayed().data();
    REQUIRE(s.scan(R"({"type":"message","data":"fedcba9876543210fedcba9876"})", "alice") ==
            Verdict::Relay);
    CHECK(s.relayed().data() == buffer);
    CHECK(Json::parse(s.relayed())["data"] == "fedcba9876543210fedcba9876");
}
