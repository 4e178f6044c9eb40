#include "signal/base64url.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>

using namespace rtc::signal;

namespace {

std::string decoded(std::string_view text) {
    auto d = base64url_decode(text);
    REQUIRE(d);
    return std::string(d->begin(), d->end());
}

} // namespace

TEST_CASE("signal::base64url encodes RFC 4648 §10 vectors without padding") {
    CHECK(base64url_encode(std::string_view("")) == "");
    CHECK(base64url_encode(std::string_view("f")) == "Zg");
    CHECK(base64url_encode(std::string_view("fo")) == "Zm8");
    CHECK(base64url_encode(std::string_view("foo")) == "Zm9v");
    CHECK(base64url_encode(std::string_view("foob")) == "Zm9vYg");
    CHECK(base64url_encode(std::string_view("fooba")) == "Zm9vYmE");
    CHECK(base64url_encode(std::string_view("foobar")) == "Zm9vYmFy");
    // The URL alphabet (RFC 4648 §5): 62 is '-', 63 is '_'.
    const uint8_t high[] = {0xfb, 0xff, 0xbf};
    CHECK(base64url_encode(high) == "-_-_");
}

TEST_CASE("signal::base64url decodes strictly") {
    CHECK(decoded("") == "");
    CHECK(decoded("Zg") == "f");
    CHECK(decoded("Zm8") == "fo");
    CHECK(decoded("Zm9vYmFy") == "foobar");
    CHECK(decoded("-_-_") == "\xfb\xff\xbf");
    CHECK_FALSE(base64url_decode("Zg=="));  // padding
    CHECK_FALSE(base64url_decode("Z"));     // 1 mod 4
    CHECK_FALSE(base64url_decode("Zh"));    // unused bits set (not canonical)
    CHECK_FALSE(base64url_decode("Zm9"));   // unused bits set
    CHECK_FALSE(base64url_decode("+/+/"));  // the standard alphabet
    CHECK_FALSE(base64url_decode("Zm 9v")); // whitespace
    for (int len = 0; len < 40; ++len) {
        std::string s;
        for (int i = 0; i < len; ++i)
            s.push_back(static_cast<char>(i * 37 + len));
        CHECK(decoded(base64url_encode(s)) == s);
    }
}

TEST_CASE("signal::random_url_token gives distinct url-safe tokens") {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const std::string t = random_url_token(12);
        CHECK(t.size() == 16);
        CHECK(t.find_first_not_of(
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
              std::string::npos);
        seen.insert(t);
    }
    CHECK(seen.size() == 100);
}
