#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/message.hpp"
#include "stun_test_util.hpp"

#include <array>
#include <vector>

using namespace rtc;
using namespace rtc::stun;
using rtc::stun::test::hex;
using rtc::stun::test::to_vector;

namespace {
const TransactionId kId = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

std::optional<MessageView> parse(const std::vector<uint8_t> &bytes, ParseError *error) {
    return MessageView::parse(bytes, error);
}
} // namespace

TEST_CASE("stun/message: method and class interleaving (RFC 8489 §5)") {
    CHECK(message_type(Method::Binding, MessageClass::Request) == 0x0001);
    CHECK(message_type(Method::Binding, MessageClass::Indication) == 0x0011);
    CHECK(message_type(Method::Binding, MessageClass::SuccessResponse) == 0x0101);
    CHECK(message_type(Method::Binding, MessageClass::ErrorResponse) == 0x0111);
    CHECK(message_type(Method::Allocate, MessageClass::ErrorResponse) == 0x0113);
    CHECK(message_type(Method::Send, MessageClass::Indication) == 0x0016);
    CHECK(message_type(Method::Data, MessageClass::Indication) == 0x0017);
    CHECK(message_type(Method::ChannelBind, MessageClass::SuccessResponse) == 0x0109);
    CHECK(message_type(Method::ConnectionAttempt, MessageClass::Indication) == 0x001C);
    CHECK(message_type(static_cast<Method>(0xFFF), MessageClass::ErrorResponse) == 0x3FFF);
    for (uint16_t m = 0; m < 0x1000; ++m) {
        for (uint8_t c = 0; c < 4; ++c) {
            auto type = message_type(static_cast<Method>(m), static_cast<MessageClass>(c));
            REQUIRE(method_of(type) == static_cast<Method>(m));
            REQUIRE(class_of(type) == static_cast<MessageClass>(c));
        }
    }
    CHECK(to_string(Method::CreatePermission) == "CreatePermission");
    CHECK(to_string(static_cast<Method>(0x0ABC)) == "Unknown");
    CHECK(to_string(MessageClass::ErrorResponse) == "error_response");
}

TEST_CASE("stun/message: header fields and classic (RFC 3489) messages") {
    auto bytes = hex("0001 0000 2112a442 0102030405060708090a0b0c");
    auto m = MessageView::parse(bytes);
    REQUIRE(m);
    CHECK(m->is_request());
    CHECK(m->cookie() == kMagicCookie);
    CHECK_FALSE(m->is_classic());
    CHECK(m->transaction_id() == kId);
    CHECK(m->begin() == m->end());
    CHECK(looks_like_stun(bytes));

    auto classic = hex("0001 0000 deadbeef 0102030405060708090a0b0c");
    auto c = MessageView::parse(classic);
    REQUIRE(c);
    CHECK(c->is_classic());
    CHECK(c->cookie() == 0xdeadbeefu);
    CHECK_FALSE(looks_like_stun(classic));
}

TEST_CASE("stun/message: every parse error path") {
    ParseError error{};
    // Shorter than a header.
    CHECK_FALSE(parse(hex("0001 0000 2112a442 0102030405060708090a0b"), &error));
    CHECK(error == ParseError::NotStun);
    CHECK_FALSE(parse({}, &error));
    CHECK(error == ParseError::NotStun);
    // Top two bits set (e.g. RTP, ChannelData).
    CHECK_FALSE(parse(hex("4001 0000 2112a442 0102030405060708090a0b0c"), &error));
    CHECK(error == ParseError::NotStun);
    CHECK_FALSE(parse(hex("8001 0000 2112a442 0102030405060708090a0b0c"), &error));
    CHECK(error == ParseError::NotStun);
    // Length not a multiple of 4.
    CHECK_FALSE(parse(hex("0001 0002 2112a442 0102030405060708090a0b0c 0000"), &error));
    CHECK(error == ParseError::BadLength);
    // Length does not match the datagram (too short, trailing bytes).
    CHECK_FALSE(parse(hex("0001 0008 2112a442 0102030405060708090a0b0c 80220000"), &error));
    CHECK(error == ParseError::BadLength);
    CHECK_FALSE(parse(hex("0001 0000 2112a442 0102030405060708090a0b0c 00000000"), &error));
    CHECK(error == ParseError::BadLength);
    // An attribute overruns the message, with and without counting its padding.
    CHECK_FALSE(
        parse(hex("0001 0008 2112a442 0102030405060708090a0b0c 80220008 41424344"), &error));
    CHECK(error == ParseError::BadAttribute);
    CHECK_FALSE(
        parse(hex("0001 0008 2112a442 0102030405060708090a0b0c 80220005 41424344"), &error));
    CHECK(error == ParseError::BadAttribute);
    // FINGERPRINT followed by another attribute.
    CHECK_FALSE(parse(hex("0001 000c 2112a442 0102030405060708090a0b0c 80280004 00000000 "
                          "80220000"),
                      &error));
    CHECK(error == ParseError::MisplacedFingerprint);
    // FINGERPRINT of the wrong size, and with a wrong CRC.
    CHECK_FALSE(parse(hex("0001 000c 2112a442 0102030405060708090a0b0c 80280008 0000000000000000"),
                      &error));
    CHECK(error == ParseError::BadFingerprint);
    CHECK_FALSE(
        parse(hex("0001 0008 2112a442 0102030405060708090a0b0c 80280004 00000000"), &error));
    CHECK(error == ParseError::BadFingerprint);

    CHECK(to_string(ParseError::NotStun) == "not_stun");
    CHECK(to_string(ParseError::BadLength) == "bad_length");
    CHECK(to_string(ParseError::BadAttribute) == "bad_attribute");
    CHECK(to_string(ParseError::MisplacedFingerprint) == "misplaced_fingerprint");
    CHECK(to_string(ParseError::BadFingerprint) == "bad_fingerprint");
}

TEST_CASE("stun/message: iteration gives type, value and offset") {
    auto bytes = hex("0001 0014 2112a442 0102030405060708090a0b0c "
                     "80220003 41424300 "  // SOFTWARE "ABC" + padding
                     "00250000 "           // USE-CANDIDATE, empty
                     "00240004 00000001"); // PRIORITY 1
    auto m = MessageView::parse(bytes);
    REQUIRE(m);
    std::vector<AttributeView> seen(m->begin(), m->end());
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].type == attr::kSoftware);
    CHECK(seen[0].offset == 20);
    CHECK(util::as_string_view(seen[0].value) == "ABC");
    CHECK(seen[1].type == attr::kUseCandidate);
    CHECK(seen[1].offset == 28);
    CHECK(seen[1].value.empty());
    CHECK(seen[2].offset == 32);
    CHECK(m->get<Priority>()->value == 1u);
    CHECK(m->has(attr::kUseCandidate));
    CHECK_FALSE(m->has(attr::kUsername));
    CHECK_FALSE(m->get<Username>());
}

TEST_CASE("stun/message: attributes after MESSAGE-INTEGRITY are ignored (RFC 8489 §14.5)") {
    const auto key = util::as_bytes("secret key");
    std::array<uint8_t, 256> buf{};
    MessageBuilder b(buf, Method::Binding, MessageClass::Request, kId);
    b.add(Username{"alice"});
    b.add_message_integrity(key);
    b.add(Software{"after integrity"});
    b.add_message_integrity_sha256(key);
    b.add(Realm{"after sha256"});
    b.add_fingerprint();
    REQUIRE(b.ok());
    auto m = MessageView::parse(b.bytes());
    REQUIRE(m);
    std::vector<uint16_t> types;
    for (auto a : *m)
        types.push_back(a.type);
    CHECK(types == std::vector<uint16_t>{attr::kUsername, attr::kMessageIntegrity,
                                         attr::kMessageIntegritySha256, attr::kFingerprint});
    CHECK_FALSE(m->has(attr::kSoftware));
    CHECK_FALSE(m->has(attr::kRealm));
    // Both MACs were computed with the length adjusted to their own end.
    CHECK(m->verify_message_integrity(key));
    CHECK(m->verify_message_integrity_sha256(key));
    CHECK_FALSE(m->verify_message_integrity(util::as_bytes("other key")));
    CHECK(m->has_fingerprint());
}

TEST_CASE("stun/message: after MESSAGE-INTEGRITY-SHA256 only FINGERPRINT counts") {
    const auto key = util::as_bytes("k");
    std::array<uint8_t, 256> buf{};
    MessageBuilder b(buf, Method::Binding, MessageClass::Request, kId);
    b.add_message_integrity_sha256(key, 16);
    b.add_message_integrity(key); // ignored: it follows MESSAGE-INTEGRITY-SHA256
    b.add_fingerprint();
    REQUIRE(b.ok());
    auto m = MessageView::parse(b.bytes());
    REQUIRE(m);
    CHECK(m->has_message_integrity_sha256());
    CHECK(m->verify_message_integrity_sha256(key));
    CHECK_FALSE(m->has_message_integrity());
    CHECK_FALSE(m->verify_message_integrity(key));
}

TEST_CASE("stun/message: integrity with a tampered byte or a bad length fails") {
    const auto key = util::as_bytes("k");
    std::array<uint8_t, 256> buf{};
    MessageBuilder b(buf, Method::Binding, MessageClass::Request, kId);
    b.add(Software{"x"});
    b.add_message_integrity(key);
    REQUIRE(b.ok());
    auto bytes = to_vector(b.bytes());
    bytes[24] ^= 0x01; // inside SOFTWARE
    auto m = MessageView::parse(bytes);
    REQUIRE(m);
    CHECK_FALSE(m->verify_message_integrity(key));
    // A MESSAGE-INTEGRITY-SHA256 of 12 bytes (below the minimum of 16) never verifies.
    auto shortmac =
        hex("0001 0010 2112a442 0102030405060708090a0b0c 001c000c 000000000000000000000000");
    auto s = MessageView::parse(shortmac);
    REQUIRE(s);
    CHECK(s->has_message_integrity_sha256());
    CHECK_FALSE(s->verify_message_integrity_sha256(key));
}

TEST_CASE("stun/message: unknown comprehension-required attributes are collected once") {
    auto bytes = hex("0001 0018 2112a442 0102030405060708090a0b0c "
                     "77770000 "                  // unknown, required
                     "88880000 "                  // unknown, optional: ignored
                     "00020008 0001000a7f000001 " // RFC 3489 RESPONSE-ADDRESS: not supported
                     "77770000");                 // repeated
    auto m = MessageView::parse(bytes);
    REQUIRE(m);
    std::array<uint16_t, 8> out{};
    auto n = m->unknown_comprehension_required(out);
    REQUIRE(n == 2);
    CHECK(out[0] == 0x7777);
    CHECK(out[1] == attr::kResponseAddress);
    // With a caller-supplied notion of "known", and an output too small to hold everything.
    std::array<uint16_t, 1> one{};
    CHECK(m->unknown_comprehension_required([](uint16_t) { return false; }, one) == 1);
    CHECK(one[0] == 0x7777);
    CHECK(m->unknown_comprehension_required([](uint16_t) { return true; }, out) == 0);
    CHECK(attr::name(attr::kXorMappedAddress) == "XOR-MAPPED-ADDRESS");
    CHECK(attr::name(0x7777) == "UNKNOWN");
    CHECK(attr::is_known(attr::kIcmp));
    CHECK_FALSE(attr::is_known(0x7777));
    // is_known and name agree on every type (RESPONSE-ADDRESS is named but unsupported).
    for (uint32_t t = 0; t <= 0xFFFF; ++t) {
        auto type = static_cast<uint16_t>(t);
        REQUIRE(attr::is_known(type) ==
                (attr::name(type) != "UNKNOWN" && type != attr::kResponseAddress));
    }
}
