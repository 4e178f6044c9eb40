#include "signal/json_scan.hpp"

#include <nlohmann/json.hpp>

#include <doctest/doctest.h>

#include <array>
#include <string>
#include <vector>

using namespace rtc::signal;

namespace {

struct Collect final : JsonMemberVisitor {
    void on_member(const JsonMember& m) override { members.push_back(m); }
    std::vector<JsonMember> members;
};

JsonScanStatus status_of(std::string_view text, std::size_t depth = 32) {
    return scan_json(text, depth).status;
}

std::string unescape(std::string_view raw, std::size_t room = 64) {
    std::vector<char> out(room);
    const auto n = json_unescape(raw, out);
    REQUIRE(n);
    return std::string(out.data(), *n);
}

} // namespace

TEST_CASE("signal::scan_json accepts what nlohmann accepts, refuses what it refuses") {
    // Each text is checked against nlohmann::json::accept(), the parser the DOM path uses; the
    // comment says which rule of RFC 8259 (or of nlohmann) the text is about.
    const std::vector<std::string> texts = {
        // RFC 8259 §13 examples, and scalars at the root (§2)
        R"({"Image":{"Width":800,"Height":600,"Title":"View from 15th Floor",
            "Thumbnail":{"Url":"http://www.example.com/image/481989943","Height":125,
            "Width":100},"Animated":false,"IDs":[116,943,234,38793]}})",
        R"([{"precision":"zip","Latitude":37.7668,"Longitude":-122.3959,"Address":"",
            "City":"SAN FRANCISCO","State":"CA","Zip":"94107","Country":"US"}])",
        R"("Hello world!")", "42", "true", "false", "null", " \t\r\n{} \n", "", " ", "{", "}", "[",
        "]", "{]", "[}", "[1,]", "[,1]", "{,}", R"({"a"})", R"({"a":})", R"({"a":1,})",
        R"({"a" 1})", R"({1:2})", "{'a':1}", "[1 2]", "{} {}", "[] x", "tru", "nul", "nulll",
        "True", "NaN", "Infinity", "[01]", "[-]", "[1.]", "[.5]", "[1e]", "[1e+]", "[+1]", "[-0]",
        "[0.0e-0]", "[1E5]", "[-12.5e+3]", "[0x1]", "[1.5e308]", "[1e308]", "[1.8e308]", "[1e309]",
        "[-1e309]", "[0.000001e314]", "[0.1e310]", "[1e-400]", "[123456789012345678901234567890]",
        "[" + std::string(309, '9') + "]", "[" + std::string(308, '9') + "]",
        "[" + std::string(308, '1') + ".5]", "[1e0000000000000000000000308]",
        // strings (§7): escapes, control characters, surrogates, UTF-8 (§8.1)
        R"(["a\"b\\c\/d\b\f\n\r\t"])", R"(["\x"])", R"(["\u00e9\u00E9"])", R"(["\u12"])",
        R"(["\u12g4"])", R"(["\ud83d\ude00"])", R"(["\ud83d"])", R"(["\ud83dx"])",
        R"(["\ud83d\u0041"])", R"(["\ude00"])", R"(["\ud83d\ud83d"])", R"(["\u0000"])",
        std::string("[\"a\x01\"]"), std::string("[\"a\x1f\"]"), std::string("[\"a\x7f\"]"),
        std::string("[\"a\tb\"]"), std::string("[\"\0\"]", 5), std::string("[1]\0", 4),
        "[\"caf\xc3\xa9\"]", "[\"\xe2\x82\xac\"]", "[\"\xf0\x9f\x98\x80\"]", "[\"\xc0\x80\"]",
        "[\"\xc1\xbf\"]", "[\"\xe0\x80\xaf\"]", "[\"\xed\xa0\x80\"]", "[\"\xed\x9f\xbf\"]",
        "[\"\xf4\x8f\xbf\xbf\"]", "[\"\xf4\x90\x80\x80\"]", "[\"\xf5\x80\x80\x80\"]", "[\"\xff\"]",
        "[\"\x80\"]", "[\"\xc3\"]", "[\"\xe2\x82\"]", "[\"\xe2\x28\xa1\"]", "\"abc", "\"abc\\",
        "\"abcdefghijklmnopqrstuvwxyz0123456789", "\"unterminated\\\"", "[\xc3\xa9]",
        // the byte order mark nlohmann skips at the start, and only there
        "\xef\xbb\xbf{}", "\xef\xbb\xbf", "\xef\xbb{}", "\xef{}", " \xef\xbb\xbf{}",
        "\xef\xbb\xbf\xef\xbb\xbf{}",
        // nlohmann ends its input at a NUL byte where the text may end, nowhere else
        std::string("[1] \0x{", 7), std::string("\0", 1), std::string("[1,\0]", 5),
        std::string("{\"a\":\0}", 7),
        // comments are not JSON (nlohmann's default)
        "[1] // x", "/* x */ [1]"};
    for (const auto& text : texts) {
        INFO(text);
        const bool expected = nlohmann::json::accept(text);
        CHECK((status_of(text) == JsonScanStatus::Ok) == expected);
    }
    // A few answers spelled out, so the table above cannot pass by agreeing on nothing.
    CHECK(status_of("[1e308]") == JsonScanStatus::Ok);
    CHECK(status_of("[1e309]") == JsonScanStatus::Invalid);
    CHECK(status_of(R"(["\ud83d\ude00"])") == JsonScanStatus::Ok);
    CHECK(status_of(R"(["\ude00"])") == JsonScanStatus::Invalid);
    CHECK(status_of("\xef\xbb\xbf{}") == JsonScanStatus::Ok);
    CHECK(status_of("[\"\xed\xa0\x80\"]") == JsonScanStatus::Invalid);
    const auto nul = scan_json(std::string("[1] \0x{", 7), 32);
    CHECK(nul.status == JsonScanStatus::Ok);
    CHECK(nul.offset == 4); // the text ended at the NUL
}

TEST_CASE("signal::scan_json reports the root kind and where it stopped") {
    CHECK(scan_json("{}", 32).root == JsonKind::Object);
    CHECK(scan_json(" [1]", 32).root == JsonKind::Array);
    CHECK(scan_json("\"s\"", 32).root == JsonKind::String);
    CHECK(scan_json("-1.5", 32).root == JsonKind::Number);
    CHECK(scan_json("null", 32).root == JsonKind::Null);
    CHECK(scan_json("false", 32).root == JsonKind::False);
    CHECK(scan_json("true", 32).root == JsonKind::True);
    const auto bad = scan_json(R"({"a":[1,2,x]})", 32);
    CHECK(bad.status == JsonScanStatus::Invalid);
    CHECK(bad.offset == 10);
}

TEST_CASE("signal::scan_json bounds the nesting") {
    const auto nested = [](std::size_t levels) {
        return std::string(levels, '[') + std::string(levels, ']');
    };
    CHECK(status_of(nested(32)) == JsonScanStatus::Ok);
    CHECK(status_of(nested(33)) == JsonScanStatus::TooDeep);
    CHECK(status_of(nested(2), 1) == JsonScanStatus::TooDeep);
    CHECK(status_of(R"({"a":{"b":{}}})", 3) == JsonScanStatus::Ok);
    CHECK(status_of(R"({"a":{"b":{}}})", 2) == JsonScanStatus::TooDeep);
    // Brackets inside strings are not nesting.
    CHECK(status_of(R"(["[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["])", 1) == JsonScanStatus::Ok);
    // Bounds above what it can follow are lowered to kMaxJsonScanDepth.
    CHECK(status_of(nested(kMaxJsonScanDepth), 1000) == JsonScanStatus::Ok);
    CHECK(status_of(nested(kMaxJsonScanDepth + 1), 1000) == JsonScanStatus::TooDeep);
    // Objects and arrays mixed: the closing bracket must match at every depth.
    CHECK(status_of(R"([{"a":[{"b":[]}]}])") == JsonScanStatus::Ok);
    CHECK(status_of(R"([{"a":[{"b":[]]}]}])") == JsonScanStatus::Invalid);
    CHECK(status_of(R"([{"a":[{"b":[}}]}])") == JsonScanStatus::Invalid);
    // A million brackets stop at the bound, without recursion.
    CHECK(status_of(std::string(1000000, '[')) == JsonScanStatus::TooDeep);
}

TEST_CASE("signal::scan_json reports the root object's members as written") {
    Collect c;
    const std::string text = R"( { "type" : "offer" ,"n":-1.5e3, "o":{"from":"x","a":[1,{}]},)"
                             R"("k\u0065y":"v\n", "t":true,"f":false,"z":null,"e":{},"l":[]} )";
    REQUIRE(scan_json(text, 32, &c).status == JsonScanStatus::Ok);
    REQUIRE(c.members.size() == 9);
    CHECK(c.members[0].key == "type");
    CHECK(c.members[0].value == R"("offer")");
    CHECK(c.members[0].kind == JsonKind::String);
    CHECK_FALSE(c.members[0].value_escaped);
    CHECK(c.members[1].value == "-1.5e3");
    CHECK(c.members[1].kind == JsonKind::Number);
    CHECK(c.members[2].key == "o"); // nested members are not reported on their own
    CHECK(c.members[2].value == R"({"from":"x","a":[1,{}]})");
    CHECK(c.members[2].kind == JsonKind::Object);
    CHECK(c.members[3].key == R"(k\u0065y)");
    CHECK(c.members[3].key_escaped);
    CHECK(c.members[3].value == R"("v\n")");
    CHECK(c.members[3].value_escaped);
    CHECK(c.members[4].kind == JsonKind::True);
    CHECK(c.members[5].kind == JsonKind::False);
    CHECK(c.members[6].kind == JsonKind::Null);
    CHECK(c.members[6].value == "null");
    CHECK(c.members[7].value == "{}");
    CHECK(c.members[8].value == "[]");
    CHECK(c.members[8].kind == JsonKind::Array);
    // Views into the caller's text, not copies.
    CHECK(c.members[0].key.data() == text.data() + text.find("type"));
    CHECK(c.members[8].value.data() == text.data() + text.rfind("[]"));

    Collect dup;
    REQUIRE(scan_json(R"({"a":1,"a":2})", 32, &dup).status == JsonScanStatus::Ok);
    REQUIRE(dup.members.size() == 2); // duplicates too, in order
    CHECK(dup.members[1].value == "2");

    Collect none;
    CHECK(scan_json(R"([{"a":1}])", 32, &none).status == JsonScanStatus::Ok);
    CHECK(scan_json(R"("a")", 32, &none).status == JsonScanStatus::Ok);
    CHECK(none.members.empty()); // only a root object has members
}

TEST_CASE("signal::json_unescape decodes RFC 8259 §7 escapes to UTF-8") {
    CHECK(unescape("plain") == "plain");
    CHECK(unescape(R"(a\"b\\c\/d)") == "a\"b\\c/d");
    CHECK(unescape(R"(\b\f\n\r\t)") == "\b\f\n\r\t");
    CHECK(unescape(R"(\u0041\u00e9\u20AC)") == "A\xc3\xa9\xe2\x82\xac");
    CHECK(unescape(R"(\ud83d\ude00)") == "\xf0\x9f\x98\x80"); // U+1F600 from its pair
    CHECK(unescape(R"(\u0000)") == std::string("\0", 1));
    CHECK(unescape("caf\xc3\xa9") == "caf\xc3\xa9"); // UTF-8 stays as it is

    std::array<char, 4> small{};
    CHECK(json_unescape("abcd", small) == 4u);
    CHECK_FALSE(json_unescape("abcde", small));
    CHECK_FALSE(json_unescape(R"(abc\u00e9)", small)); // 5 bytes decoded
    // Not a string body scan_json() would accept: refused, never read past the end.
    std::array<char, 16> out{};
    CHECK_FALSE(json_unescape(R"(\)", out));
    CHECK_FALSE(json_unescape(R"(\x)", out));
    CHECK_FALSE(json_unescape(R"(\u12)", out));
    CHECK_FALSE(json_unescape(R"(\ud83d)", out));
    CHECK_FALSE(json_unescape(R"(\ud83d\u0041)", out));
    CHECK_FALSE(json_unescape(R"(\ude00)", out));
}
