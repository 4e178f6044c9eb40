#include "crypto/hash.hpp"
#include "stun/credentials.hpp"
#include "util/bytes.hpp"

#include <doctest/doctest.h>

using namespace rtc::stun;
using rtc::util::as_bytes;

TEST_CASE("stun/credentials: OpaqueString maps, keeps and rejects (RFC 8265 §4.2)") {
    CHECK(opaque_string("VOkJxbRl1RmTxUk/WvJxBt") == "VOkJxbRl1RmTxUk/WvJxBt");
    CHECK(opaque_string("correct horse") == "correct horse");
    CHECK(opaque_string("a\xc2\xa0"
                        "b") == "a b");                     // U+00A0 NO-BREAK SPACE
    CHECK(opaque_string("\xe3\x80\x80x") == " x");          // U+3000 IDEOGRAPHIC SPACE
    CHECK(opaque_string("x\xe2\x80\x83y") == "x y");        // U+2003 EM SPACE
    CHECK(opaque_string("caf\xc3\xa9") == "caf\xc3\xa9");   // non-ASCII letters pass through
    CHECK(opaque_string("\xe3\x83\x9e") == "\xe3\x83\x9e"); // katakana
    CHECK_FALSE(opaque_string(""));                         // empty
    CHECK_FALSE(opaque_string("tab\there"));                // control
    CHECK_FALSE(opaque_string("del\x7f"));                  // control
    CHECK_FALSE(opaque_string("\xc2\x85"));                 // U+0085, a C1 control
    CHECK_FALSE(opaque_string("The\xc2\xad"
                              "M")); // U+00AD soft hyphen (ignorable)
    CHECK_FALSE(opaque_string("a\xe2\x80\x8b"
                              "b"));            // U+200B zero width space
    CHECK_FALSE(opaque_string("\xef\xbf\xbf")); // U+FFFF noncharacter
    CHECK_FALSE(opaque_string("\xe1\x84\x80")); // U+1100 conjoining jamo
    CHECK_FALSE(opaque_string("bad\xff"));      // not UTF-8
    CHECK_FALSE(opaque_string(std::string_view("nul\0", 4)));
    CHECK(short_term_key("pass word") == "pass word");
}

TEST_CASE("stun/credentials: long-term keys (RFC 8489 §9.2.2, §18.5.1)") {
    auto md5_key = long_term_key_md5("user", "realm", "pass");
    REQUIRE(md5_key);
    CHECK(*md5_key == rtc::crypto::md5(as_bytes("user:realm:pass")));
    auto sha_key = long_term_key_sha256("user", "realm", "pass");
    REQUIRE(sha_key);
    CHECK(*sha_key == rtc::crypto::sha256(as_bytes("user:realm:pass")));
    // OpaqueString applies to realm and password; trailing NULs are removed.
    CHECK(long_term_key_md5("user", "realm", "pa\xc2\xa0ss") ==
          rtc::crypto::md5(as_bytes("user:realm:pa ss")));
    CHECK(long_term_key_md5(std::string_view("user\0", 5), "realm", "pass") == md5_key);
    CHECK_FALSE(long_term_key_md5("user", "realm", "bad\x01"));
    CHECK_FALSE(long_term_key_sha256("user", "", "pass"));
}

TEST_CASE("stun/credentials: USERHASH (RFC 8489 §14.4)") {
    auto h = userhash("user", "realm");
    REQUIRE(h);
    CHECK(*h == rtc::crypto::sha256(as_bytes("user:realm")));
    CHECK(userhash("us\xe2\x80\x80r", "realm") == rtc::crypto::sha256(as_bytes("us r:realm")));
    CHECK_FALSE(userhash("", "realm"));
}
