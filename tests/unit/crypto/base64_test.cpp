#include "crypto/base64.hpp"
#include "util/bytes.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using rtc::crypto::base64_decode;
using rtc::crypto::base64_encode;

TEST_CASE("crypto/base64: RFC 4648 §10 vectors both ways") {
    const std::pair<const char *, const char *> vectors[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    for (auto [plain, encoded] : vectors) {
        CHECK(base64_encode(rtc::util::as_bytes(plain)) == encoded);
        auto decoded = base64_decode(encoded);
        REQUIRE(decoded);
        CHECK(std::string(decoded->begin(), decoded->end()) == plain);
    }
    const std::vector<uint8_t> binary = {0x00, 0xff, 0xfe, 0x3e, 0x3f};
    CHECK(*base64_decode(base64_encode(binary)) == binary);
}

TEST_CASE("crypto/base64: bad input is rejected") {
    CHECK_FALSE(base64_decode("Zg="));       // length not a multiple of 4
    CHECK_FALSE(base64_decode("Zg=a"));      // padding in the middle
    CHECK_FALSE(base64_decode("Z==="));      // too much padding
    CHECK_FALSE(base64_decode("Zm9v Zg==")); // whitespace
    CHECK_FALSE(base64_decode("Zm9*"));      // outside the alphabet
    CHECK_FALSE(base64_decode("Zh=="));      // non-zero trailing bits
    CHECK_FALSE(base64_decode("Zm9=Zm9v"));  // padding before the end
    CHECK_FALSE(base64_decode("===="));
}
