#include "http/query.hpp"

#include <doctest/doctest.h>

using namespace rtc::http;

TEST_CASE("percent_decode: escapes, plus and refusals") {
    CHECK(percent_decode("a%20b%2Fc") == "a b/c");
    CHECK(percent_decode("a+b") == "a+b");
    CHECK(percent_decode("a+b", true) == "a b");
    CHECK(percent_decode("%e2%82%AC") == "\xE2\x82\xAC");
    CHECK_FALSE(percent_decode("%"));
    CHECK_FALSE(percent_decode("%2"));
    CHECK_FALSE(percent_decode("%zz"));
    CHECK_FALSE(percent_decode("a%00b")); // a NUL never reaches a file name or an id
}

TEST_CASE("percent_encode keeps only unreserved characters") {
    CHECK(percent_encode("Az09-._~") == "Az09-._~");
    CHECK(percent_encode("a b/c?d=e&f") == "a%20b%2Fc%3Fd%3De%26f");
    CHECK(percent_decode(percent_encode("x=\xE2\x82\xAC&y")) == "x=\xE2\x82\xAC&y");
}

TEST_CASE("query_param: first match, empty values, missing names, bad escapes") {
    CHECK(query_param("id=alice&token=a%2Bb", "id") == "alice");
    CHECK(query_param("id=alice&token=a%2Bb", "token") == "a+b");
    CHECK(query_param("id=a&id=b", "id") == "a");
    CHECK(query_param("flag&x=1", "flag") == "");
    CHECK(query_param("x=", "x") == "");
    CHECK_FALSE(query_param("idx=1&xid=2", "id"));
    CHECK_FALSE(query_param("", "id"));
    CHECK_FALSE(query_param("id=%G0", "id"));
}
