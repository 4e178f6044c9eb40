#include "util/utf8.hpp"

#include <doctest/doctest.h>

using rtc::util::decode_utf8;
using rtc::util::is_valid_utf8;

TEST_CASE("utf8: decodes one to four byte sequences") {
    CHECK(decode_utf8("A", 0)->value == U'A');
    auto e = decode_utf8("\xc3\xa9", 0); // U+00E9
    REQUIRE(e);
    CHECK(e->value == 0xE9);
    CHECK(e->length == 2);
    CHECK(decode_utf8("\xe3\x83\x9e", 0)->value == 0x30DE);
    CHECK(decode_utf8("\xf0\x9f\x98\x80", 0)->value == 0x1F600);
    CHECK(rtc::util::utf8_length("a\xc3\xa9\xe3\x83\x9e") == 3);
    std::string s;
    rtc::util::append_utf8(s, 0x1F600);
    rtc::util::append_utf8(s, 0xE9);
    CHECK(s == "\xf0\x9f\x98\x80\xc3\xa9");
}

TEST_CASE("utf8: rejects malformed input") {
    CHECK_FALSE(is_valid_utf8("\x80"));             // lone continuation
    CHECK_FALSE(is_valid_utf8("\xc3"));             // truncated
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));     // surrogate U+D800
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // above U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xff"));
    CHECK(is_valid_utf8("plain ascii"));
    CHECK_FALSE(decode_utf8("abc", 3));
}
