// RFC 5769 (Test Vectors for STUN) and RFC 8489 Appendix B.1, bit for bit: parse, check the
// fields and the integrity/fingerprint, then build the same message again and compare bytes.
#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/credentials.hpp"
#include "stun/message.hpp"
#include "stun_test_util.hpp"

#include <array>

using namespace rtc;
using namespace rtc::stun;
using rtc::stun::test::endpoint;
using rtc::stun::test::hex;
using rtc::stun::test::to_vector;

namespace {

// RFC 5769 §2: the password of the short-term vectors.
constexpr std::string_view kShortTermPassword = "VOkJxbRl1RmTxUk/WvJxBt";

// RFC 5769 §2.1 Sample Request (padding bytes are spaces, 0x20).
const char *const kSampleRequest = R"(
    00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
    00 24 00 04 6e 00 01 ff
    80 29 00 08 93 2f f9 b1 51 26 3b 36
    00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
    00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
    80 28 00 04 e5 7a 3b cf)";

// RFC 5769 §2.2 Sample IPv4 Response.
const char *const kSampleIpv4Response = R"(
    01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 08 00 01 a1 47 e1 12 a6 43
    00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
    80 28 00 04 c0 7d 4c 96)";

// RFC 5769 §2.3 Sample IPv6 Response.
const char *const kSampleIpv6Response = R"(
    01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
    80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
    00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
    00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
    80 28 00 04 c8 fb 0b 4c)";

// RFC 5769 §2.4 Sample Request with Long-Term Authentication.
const char *const kSampleLongTermRequest = R"(
    00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
    00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
    00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79
                36 34 73 41
    00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
    00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66)";

// RFC 8489 Appendix B.1 (Sample Request with Long-Term Authentication with
// MESSAGE-INTEGRITY-SHA256 and USERHASH), with the NONCE and lengths as corrected by RFC erratum
// 6268; the published HMAC only verifies with those corrections.
const char *const kSampleSha256Request = R"(
    00 01 00 90 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
    00 1e 00 20 4a 3c f3 8f ef 69 92 bd a9 52 c6 78 04 17 da 0f 24 81 94 15 56 9e 60 b2
                05 c4 6e 41 40 7f 17 04
    00 15 00 29 6f 62 4d 61 74 4a 6f 73 32 41 41 41 43 66 2f 2f 34 39 39 6b 39 35 34 64
                36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41 00 00 00
    00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
    00 1d 00 04 00 02 00 00
    00 1c 00 20 b5 c7 bf 00 5b 6c 52 a2 1c 51 c5 e8 92 f8 19 24 13 62 96 cb 92 7c 43 14
                93 09 27 8c c6 51 8e 65)";

// U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 ("matorikkusu"), RFC 5769 §2.4.
constexpr std::string_view kMatrixUser = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83"
                                         "\xe3\x82\xaf\xe3\x82\xb9";
// RFC 5769 §2.4: the password "The<U+00AD>M<U+00AA>tr<U+2168>" after SASLprep.
constexpr std::string_view kMatrixPassword = "TheMatrIX";

const TransactionId kVectorId = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};
const TransactionId kLongTermId = {0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
                                   0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};

std::span<const uint8_t> key_bytes(std::string_view s) {
    return util::as_bytes(s);
}

} // namespace

TEST_CASE("stun/rfc5769: 2.1 sample request parses and verifies") {
    auto bytes = hex(kSampleRequest);
    REQUIRE(bytes.size() == 108);
    auto m = MessageView::parse(bytes);
    REQUIRE(m);
    CHECK(m->method() == Method::Binding);
    CHECK(m->message_class() == MessageClass::Request);
    CHECK_FALSE(m->is_classic());
    CHECK(m->transaction_id() == kVectorId);
    CHECK(m->get<Software>()->value == "STUN test client");
    CHECK(m->get<Priority>()->value == 0x6e0001ffu);
    CHECK(m->get<IceControlled>()->tie_breaker == 0x932ff9b151263b36ull);
    CHECK(m->get<Username>()->value == "evtj:h6vY");
    CHECK(m->has_fingerprint());
    auto key = short_term_key(kShortTermPassword);
    REQUIRE(key);
    CHECK(m->verify_message_integrity(key_bytes(*key)));
    CHECK_FALSE(m->verify_message_integrity(key_bytes("VOkJxbRl1RmTxUk/WvJxBT")));
}

TEST_CASE("stun/rfc5769: 2.1 sample request re-serialises to the same bytes") {
    auto expected = hex(kSampleRequest);
    std::array<uint8_t, 256> buf{};
    MessageBuilder b(buf, Method::Binding, MessageClass::Request, kVectorId);
    b.set_padding_byte(0x20);
    b.add(Software{"STUN test client"});
    b.add(Priority{0x6e0001ff});
    b.add(IceControlled{0x932ff9b151263b36ull});
    b.add(Username{"evtj:h6vY"});
    b.add_message_integrity(key_bytes(kShortTermPassword));
    b.add_fingerprint();
    REQUIRE(b.ok());
    CHECK(to_vector(b.bytes()) == expected);
}

TEST_CASE("stun/rfc5769: 2.2 IPv4 response parses, verifies and re-serialises") {
    auto expected = hex(kSampleIpv4Response);
    auto m = MessageView::parse(expected);
    REQUIRE(m);
    CHECK(m->message_class() == MessageClass::SuccessResponse);
    CHECK(m->get<Software>()->value == "test vector");
    auto mapped = m->get<XorMappedAddress>();
    REQUIRE(mapped);
    CHECK(mapped->endpoint == endpoint("192.0.2.1:32853"));
    CHECK(m->verify_message_integrity(key_bytes(kShortTermPassword)));

    std::array<uint8_t, 256> buf{};
    MessageBuilder b(buf, Method::Binding, MessageClass::SuccessResponse, kVectorId);
    b.set_padding_byte(0x20);
    b.add(Software{"test vector"});
    b.add(XorMappedAddress{endpoint("192.0.2.1:32853")});
    b.add_message_integrity(key_bytes(kShortTermPassword));
    b.add_fingerprint();
    REQUIRE(b.ok());
    CHECK(to_vector(b.bytes()) == expected);
}

TEST_CASE("stun/rfc5769: 2.3 IPv6 response parses, verifies and re-serialises") {
    auto expected = hex(kSampleIpv6Response);
    auto m = MessageView::parse(expected);
    REQUIRE(m);
    auto mapped = m->get<XorMappedAddress>();
    REQUIRE(mapped);
    CHECK(mapped->endpoint == endpoint("[2001:db8:1234:5678:11:2233:4455:6677]:32853"));
    CHECK(m->verify_message_integrity(key_bytes(kShortTermPassword)));

    std::array<uint8_t, 256> buf{};
    MessageBuilder b(buf, Method::Binding, MessageClass::SuccessResponse, kVectorId);
    b.set_padding_byte(0x20);
    b.add(Software{"test vector"});
    b.add(XorMappedAddress{endpoint("[2001:db8:1234:5678:11:2233:4455:6677]:32853")});
    b.add_message_integrity(key_bytes(kShortTermPassword));
    b.add_fingerprint();
    REQUIRE(b.ok());
    CHECK(to_vector(b.bytes()) == expected);
}

TEST_CASE("stun/rfc5769: 2.4 long-term request verifies with the SASLprep'd key") {
    auto expected = hex(kSampleLongTermRequest);
    auto m = MessageView::parse(expected);
    REQUIRE(m);
    CHECK(m->transaction_id() == kLongTermId);
    CHECK_FALSE(m->has_fingerprint());
    CHECK(m->get<Username>()->value == kMatrixUser);
    CHECK(m->get<Nonce>()->value == "f//499k954d6OL34oL9FSTvy64sA");
    CHECK(m->get<Realm>()->value == "example.org");
    auto key = long_term_key_md5(kMatrixUser, "example.org", kMatrixPassword);
    REQUIRE(key);
    CHECK(m->verify_message_integrity(*key));
    auto wrong = long_term_key_md5(kMatrixUser, "example.org", "TheMatrix");
    CHECK_FALSE(m->verify_message_integrity(*wrong));

    std::array<uint8_t, 256> buf{};
    MessageBuilder b(buf, Method::Binding, MessageClass::Request, kLongTermId);
    b.add(Username{kMatrixUser});
    b.add(Nonce{"f//499k954d6OL34oL9FSTvy64sA"});
    b.add(Realm{"example.org"});
    b.add_message_integrity(*key);
    REQUIRE(b.ok());
    CHECK(to_vector(b.bytes()) == expected);
}

TEST_CASE("stun/rfc8489: B.1 SHA-256 integrity and USERHASH") {
    auto expected = hex(kSampleSha256Request);
    auto m = MessageView::parse(expected);
    REQUIRE(m);
    auto hash = userhash(kMatrixUser, "example.org");
    REQUIRE(hash);
    CHECK(m->get<Userhash>()->hash == *hash);
    CHECK(m->get<Nonce>()->value == "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA");
    CHECK(m->get<Realm>()->value == "example.org");
    auto algorithm = m->get<PasswordAlgorithm>();
    REQUIRE(algorithm);
    CHECK(algorithm->algorithm == kPasswordAlgorithmSha256);
    CHECK(algorithm->parameters.empty());
    REQUIRE(m->has_message_integrity_sha256());
    CHECK_FALSE(m->has_message_integrity());
    auto key = long_term_key_sha256(kMatrixUser, "example.org", kMatrixPassword);
    REQUIRE(key);
    CHECK(m->verify_message_integrity_sha256(*key));
    auto md5_key = long_term_key_md5(kMatrixUser, "example.org", kMatrixPassword);
    CHECK_FALSE(m->verify_message_integrity_sha256(*md5_key));

    std::array<uint8_t, 256> buf{};
    MessageBuilder b(buf, Method::Binding, MessageClass::Request, kLongTermId);
    b.add(Userhash{*hash});
    b.add(Nonce{"obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA"});
    b.add(Realm{"example.org"});
    b.add(PasswordAlgorithm{kPasswordAlgorithmSha256, {}});
    b.add_message_integrity_sha256(*key);
    REQUIRE(b.ok());
    CHECK(to_vector(b.bytes()) == expected);
}
