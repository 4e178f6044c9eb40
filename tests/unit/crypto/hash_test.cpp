#include "crypto/hash.hpp"
#include "util/bytes.hpp"
#include "util/hex.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace rtc::crypto;
using rtc::util::as_bytes;
using rtc::util::to_hex;

TEST_CASE("crypto/hash: MD5, SHA-1, SHA-256 known answers") {
    // RFC 1321 §A.5
    CHECK(to_hex(md5(as_bytes(""))) == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(to_hex(md5(as_bytes("abc"))) == "900150983cd24fb0d6963f7d28e17f72");
    // FIPS 180-2 Appendix A / B ("abc")
    CHECK(to_hex(sha1(as_bytes("abc"))) == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(to_hex(sha256(as_bytes("abc"))) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("crypto/hash: incremental hashing and copies") {
    Sha256 h;
    h.update(as_bytes("a"));
    Sha256 copy = h;
    h.update(as_bytes("bc"));
    CHECK(h.finish() == sha256(as_bytes("abc")));
    copy.update(as_bytes("b"));
    CHECK(copy.finish() == sha256(as_bytes("ab")));
}

TEST_CASE("crypto/hash: HMAC-SHA1 (RFC 2202 test cases 1, 2, 6)") {
    std::vector<uint8_t> key1(20, 0x0b);
    CHECK(to_hex(hmac_sha1(key1, as_bytes("Hi There"))) ==
          "b617318655057264e28bc0b6fb378c8ef146be00");
    CHECK(to_hex(hmac_sha1(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))) ==
          "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    std::vector<uint8_t> key6(80, 0xaa);
    CHECK(to_hex(hmac_sha1(key6, as_bytes("Test Using Larger Than Block-Size Key - Hash Key "
                                          "First"))) == "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

TEST_CASE("crypto/hash: HMAC-SHA256 (RFC 4231 test cases 1, 2, 6)") {
    std::vector<uint8_t> key1(20, 0x0b);
    CHECK(to_hex(hmac_sha256(key1, as_bytes("Hi There"))) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    CHECK(to_hex(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    std::vector<uint8_t> key6(131, 0xaa);
    CHECK(to_hex(hmac_sha256(key6, as_bytes("Test Using Larger Than Block-Size Key - Hash Key "
                                            "First"))) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    // Incremental updates give the same MAC.
    HmacSha256 mac(as_bytes("Jefe"));
    mac.update(as_bytes("what do ya "));
    mac.update(as_bytes("want for nothing?"));
    CHECK(to_hex(mac.finish()) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
