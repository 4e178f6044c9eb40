#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun_test_util.hpp"

#include <array>

using namespace rtc;
using namespace rtc::stun;
using rtc::stun::test::hex;
using rtc::stun::test::to_vector;

namespace {
const TransactionId kId = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
}

TEST_CASE("stun/builder: header and length are kept current") {
    std::array<uint8_t, 64> buf{};
    MessageBuilder b(buf, Method::Binding, MessageClass::Request, kId);
    CHECK(b.size() == 20);
    CHECK(to_vector(b.bytes()) == hex("0001 0000 2112a442 0102030405060708090a0b0c"));
    b.add(Software{"abcde"});
    CHECK(b.size() == 32);
    CHECK(to_vector(b.bytes()) == hex("0001 000c 2112a442 0102030405060708090a0b0c "
                                      "80220005 6162636465000000"));
    CHECK(b.transaction_id() == kId);
}

TEST_CASE("stun/builder: classic cookie and raw attributes") {
    std::array<uint8_t, 64> buf{};
    MessageBuilder b(buf, message_type(Method::Binding, MessageClass::SuccessResponse), kId,
                     0xdeadbeef);
    const auto value = hex("aabbcc");
    b.add_raw(0x7fff, value);
    REQUIRE(b.ok());
    CHECK(to_vector(b.bytes()) == hex("0101 0008 deadbeef 0102030405060708090a0b0c "
                                      "7fff0003 aabbcc00"));
    auto m = MessageView::parse(b.bytes());
    REQUIRE(m);
    CHECK(m->is_classic());
}

TEST_CASE("stun/builder: overflow, sealing and invalid input fail without writing past the end") {
    std::array<uint8_t, 24> small{};
    MessageBuilder b(small, Method::Binding, MessageClass::Request, kId);
    CHECK(b.add(UseCandidate{})); // 4 bytes: exactly fills the buffer
    CHECK(b.size() == 24);
    CHECK_FALSE(b.add(Priority{1}));
    CHECK_FALSE(b.ok());
    CHECK(b.bytes().empty());
    CHECK_FALSE(b.add_fingerprint()); // still failed

    std::array<uint8_t, 10> tiny{};
    MessageBuilder t(tiny, Method::Binding, MessageClass::Request, kId);
    CHECK_FALSE(t.ok());

    std::array<uint8_t, 128> buf{};
    MessageBuilder sealed(buf, Method::Binding, MessageClass::Request, kId);
    CHECK(sealed.add_fingerprint());
    CHECK_FALSE(sealed.add(Priority{1})); // nothing may follow FINGERPRINT
    CHECK_FALSE(sealed.ok());

    MessageBuilder bad_type(buf, 0x4001, kId);
    CHECK_FALSE(bad_type.ok());

    MessageBuilder bad_mac(buf, Method::Binding, MessageClass::Request, kId);
    CHECK_FALSE(bad_mac.add_message_integrity_sha256(util::as_bytes("k"), 18));
    CHECK_FALSE(bad_mac.ok());

    // No room for MESSAGE-INTEGRITY: fails before writing anything.
    std::array<uint8_t, 40> room{};
    MessageBuilder no_mac(room, Method::Binding, MessageClass::Request, kId);
    CHECK_FALSE(no_mac.add_message_integrity(util::as_bytes("k")));

    std::vector<uint8_t> huge(0x10000, 0);
    std::vector<uint8_t> big(0x10100, 0);
    MessageBuilder too_long(big, Method::Binding, MessageClass::Request, kId);
    CHECK_FALSE(too_long.add_raw(attr::kData, huge)); // value longer than 65535
}

TEST_CASE("stun/builder: FINGERPRINT and truncated SHA-256 integrity verify after parsing") {
    std::array<uint8_t, 128> buf{};
    const auto key = util::as_bytes("password");
    for (std::size_t len : {16u, 20u, 24u, 28u, 32u}) {
        MessageBuilder b(buf, Method::Allocate, MessageClass::Request, kId);
        b.add(RequestedTransport{});
        b.add_message_integrity_sha256(key, len);
        b.add_fingerprint();
        REQUIRE(b.ok());
        auto m = MessageView::parse(b.bytes());
        REQUIRE(m);
        CHECK(m->method() == Method::Allocate);
        CHECK(m->find(attr::kMessageIntegritySha256)->value.size() == len);
        CHECK(m->verify_message_integrity_sha256(key));
        CHECK(m->has_fingerprint());
    }
}
