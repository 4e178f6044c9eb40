// Every attribute: parse the value bytes -> check the fields -> serialize -> compare bytes, then
// the malformed values each parser must reject.
#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun_test_util.hpp"

#include <array>
#include <string>
#include <vector>

using namespace rtc;
using namespace rtc::stun;
using rtc::stun::test::endpoint;
using rtc::stun::test::hex;
using rtc::stun::test::to_vector;

namespace {

// RFC 5769's transaction id, so the XOR vectors of §2.2/§2.3 apply.
const TransactionId kId = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

template <class A> std::optional<A> parse_value(std::span<const uint8_t> value) {
    if constexpr (requires { A::parse(value, kId); })
        return A::parse(value, kId);
    else
        return A::parse(value);
}

template <class A> bool serialize_value(const A &a, util::ByteWriter &w) {
    if constexpr (requires { a.serialize(w, kId); })
        return a.serialize(w, kId);
    else
        return a.serialize(w);
}

// Parses `value`, compares with `expected`, serialises the result and compares bytes; then
// checks the same attribute survives a trip through a whole message.
template <class A> void round_trip(const std::vector<uint8_t> &value, const A &expected) {
    CAPTURE(attr::name(A::kType));
    auto parsed = parse_value<A>(value);
    REQUIRE(parsed.has_value());
    CHECK(*parsed == expected);
    std::array<uint8_t, 1024> buf{};
    util::ByteWriter w(buf);
    CHECK(serialize_value(*parsed, w));
    CHECK(to_vector(w.written()) == value);

    std::array<uint8_t, 1200> msg{};
    MessageBuilder b(msg, Method::Binding, MessageClass::Request, kId);
    REQUIRE(b.add(expected));
    auto m = MessageView::parse(b.bytes());
    REQUIRE(m);
    auto found = m->find(A::kType);
    REQUIRE(found);
    CHECK(to_vector(found->value) == value);
    auto again = m->template get<A>();
    REQUIRE(again);
    CHECK(*again == expected);
}

template <class A> void check_rejects(const std::vector<uint8_t> &value) {
    CAPTURE(attr::name(A::kType));
    CAPTURE(util::to_hex(value));
    CHECK_FALSE(parse_value<A>(value).has_value());
}

std::vector<uint8_t> concat(std::vector<uint8_t> head, std::string_view text) {
    head.insert(head.end(), text.begin(), text.end());
    return head;
}

std::vector<uint8_t> text(std::string_view s) {
    return {s.begin(), s.end()};
}

} // namespace

TEST_CASE("stun/attributes: address attributes, IPv4 and IPv6") {
    const auto v4 = endpoint("192.0.2.1:32853");
    const auto v6 = endpoint("[2001:db8:1234:5678:11:2233:4455:6677]:32853");
    const auto plain4 = hex("0001 8055 c0000201");
    const auto plain6 = hex("0002 8055 20010db8123456780011223344556677");
    // RFC 5769 §2.2 / §2.3
    const auto xor4 = hex("0001 a147 e112a643");
    const auto xor6 = hex("0002 a147 0113a9faa5d3f179bc25f4b5bed2b9d9");

    round_trip(plain4, MappedAddress{v4});
    round_trip(plain6, MappedAddress{v6});
    round_trip(plain4, AlternateServer{v4});
    round_trip(plain6, ResponseOrigin{v6});
    round_trip(plain4, OtherAddress{v4});
    round_trip(plain4, SourceAddress{v4});
    round_trip(plain6, ChangedAddress{v6});
    round_trip(xor4, XorMappedAddress{v4});
    round_trip(xor6, XorMappedAddress{v6});
    round_trip(xor6, XorPeerAddress{v6});
    round_trip(xor4, XorRelayedAddress{v4});
}

TEST_CASE("stun/attributes: malformed addresses are rejected") {
    check_rejects<MappedAddress>({});
    check_rejects<MappedAddress>(hex("0003 8055 c0000201")); // unknown family
    check_rejects<MappedAddress>(hex("0001 8055 c00002"));   // 7 bytes
    check_rejects<MappedAddress>(hex("0002 8055 c0000201")); // IPv6 family, IPv4 length
    check_rejects<MappedAddress>(hex("0001 8055 20010db8123456780011223344556677"));
    check_rejects<XorMappedAddress>(hex("0001 a147 e112a64300")); // 9 bytes
    check_rejects<XorPeerAddress>(hex("0000 a147 e112a643"));
}

TEST_CASE("stun/attributes: text attributes and their limits") {
    round_trip(text("evtj:h6vY"), Username{"evtj:h6vY"});
    round_trip(text("example.org"), Realm{"example.org"});
    round_trip(text("f//499k954d6OL34oL9FSTvy64sA"), Nonce{"f//499k954d6OL34oL9FSTvy64sA"});
    round_trip(text("rtc-tools 0.1"), Software{"rtc-tools 0.1"});
    round_trip(text("turn.example.net"), AlternateDomain{"turn.example.net"});
    round_trip(text(""), Software{""});

    // USERNAME < 513 bytes (RFC 5389 §15.3).
    std::string name(512, 'u');
    round_trip(text(name), Username{name});
    check_rejects<Username>(text(std::string(513, 'u')));
    // REALM, NONCE, SOFTWARE: < 128 characters, at most 763 bytes.
    round_trip(text(std::string(127, 'r')), Realm{std::string(127, 'r')});
    check_rejects<Realm>(text(std::string(128, 'r')));
    check_rejects<Nonce>(text(std::string(128, 'n')));
    check_rejects<Software>(text(std::string(128, 's')));
    std::string accents;
    for (int i = 0; i < 127; ++i)
        accents += "\xc3\xa9"; // 127 characters, 254 bytes
    CHECK(Software::parse(util::as_bytes(accents)));
    std::string wide;
    for (int i = 0; i < 127; ++i)
        wide += "\xf0\x9f\x98\x80"; // 127 characters, 508 bytes
    CHECK(Realm::parse(util::as_bytes(wide)));
    check_rejects<AlternateDomain>(text(std::string(256, 'd')));

    // Serialising an over-long value fails the builder.
    std::array<uint8_t, 1024> buf{};
    MessageBuilder b(buf, Method::Binding, MessageClass::Request, kId);
    std::string long_realm(200, 'x');
    CHECK_FALSE(b.add(Realm{long_realm}));
    CHECK_FALSE(b.ok());
}

TEST_CASE("stun/attributes: USERHASH, MESSAGE-INTEGRITY(-SHA256), FINGERPRINT values") {
    std::vector<uint8_t> hash32(32);
    for (std::size_t i = 0; i < 32; ++i)
        hash32[i] = static_cast<uint8_t>(i * 7);
    Userhash u;
    std::copy(hash32.begin(), hash32.end(), u.hash.begin());
    round_trip(hash32, u);
    check_rejects<Userhash>(std::vector<uint8_t>(31, 1));

    std::vector<uint8_t> mac20(20, 0xab);
    MessageIntegrity mi;
    mi.hmac.fill(0xab);
    round_trip(mac20, mi);
    check_rejects<MessageIntegrity>(std::vector<uint8_t>(19, 1));
    check_rejects<MessageIntegrity>(std::vector<uint8_t>(32, 1));

    MessageIntegritySha256 full;
    full.hmac.fill(0xcd);
    round_trip(std::vector<uint8_t>(32, 0xcd), full);
    MessageIntegritySha256 truncated;
    truncated.hmac.fill(0);
    std::fill_n(truncated.hmac.begin(), 16, 0xcd);
    truncated.length = 16;
    round_trip(std::vector<uint8_t>(16, 0xcd), truncated);
    check_rejects<MessageIntegritySha256>(std::vector<uint8_t>(12, 1));
    check_rejects<MessageIntegritySha256>(std::vector<uint8_t>(18, 1));
    check_rejects<MessageIntegritySha256>(std::vector<uint8_t>(36, 1));

    auto fp = Fingerprint::parse(hex("e57a3bcf"));
    REQUIRE(fp);
    CHECK(fp->crc == 0xe57a3bcfu);
    std::array<uint8_t, 4> out{};
    util::ByteWriter w(out);
    CHECK(fp->serialize(w));
    CHECK(to_vector(w.written()) == hex("e57a3bcf"));
    check_rejects<Fingerprint>(hex("e57a3b"));
}

TEST_CASE("stun/attributes: ERROR-CODE and UNKNOWN-ATTRIBUTES") {
    round_trip(concat(hex("00000414"), "Unknown Attribute"), ErrorCode{420, "Unknown Attribute"});
    round_trip(concat(hex("00000300"), "Try Alternate"), ErrorCode{300, "Try Alternate"});
    round_trip(hex("00000663"), ErrorCode{699, ""});
    check_rejects<ErrorCode>(hex("000002c8")); // class 2
    check_rejects<ErrorCode>(hex("00000764")); // class 7
    check_rejects<ErrorCode>(hex("00000464")); // number 100
    check_rejects<ErrorCode>(hex("000004"));   // too short
    check_rejects<ErrorCode>(concat(hex("00000400"), std::string(128, 'x')));
    util::ByteWriter w;
    CHECK_FALSE(ErrorCode{200, "OK"}.serialize(w));
    CHECK(default_reason(error_code::kStaleNonce) == "Stale Nonce");
    CHECK(default_reason(599) == "Error");

    UnknownAttributes u;
    u.add(0x0003);
    u.add(0x7777);
    u.add(0x0027);
    round_trip(hex("0003 7777 0027"), u);
    CHECK(u.list().size() == 3);
    check_rejects<UnknownAttributes>(hex("000300"));
    // Longer lists keep the first kMaxTypes entries.
    std::vector<uint8_t> many(2 * (UnknownAttributes::kMaxTypes + 3), 0x11);
    auto parsed = UnknownAttributes::parse(many);
    REQUIRE(parsed);
    CHECK(parsed->count == UnknownAttributes::kMaxTypes);
    UnknownAttributes full;
    for (std::size_t i = 0; i < UnknownAttributes::kMaxTypes; ++i)
        CHECK(full.add(static_cast<uint16_t>(i)));
    CHECK_FALSE(full.add(1));
}

TEST_CASE("stun/attributes: PASSWORD-ALGORITHM(S)") {
    round_trip(hex("0002 0000"), PasswordAlgorithm{kPasswordAlgorithmSha256, {}});
    const auto params = hex("abcd");
    round_trip(hex("0003 0002 abcd 0000"), PasswordAlgorithm{3, params});
    check_rejects<PasswordAlgorithm>(hex("0001"));
    check_rejects<PasswordAlgorithm>(hex("0001 0004 00"));

    PasswordAlgorithms list;
    list.add({kPasswordAlgorithmMd5, {}});
    list.add({kPasswordAlgorithmSha256, {}});
    round_trip(hex("0001 0000 0002 0000"), list);
    PasswordAlgorithms with_params;
    with_params.add({3, params});
    with_params.add({kPasswordAlgorithmMd5, {}});
    round_trip(hex("0003 0002 abcd 0000 0001 0000"), with_params);
    check_rejects<PasswordAlgorithms>(hex("0001 0008 0000"));
    check_rejects<PasswordAlgorithms>(hex("0001 00"));
    std::vector<uint8_t> nine;
    for (int i = 0; i < 9; ++i)
        for (uint8_t b : hex("0001 0000"))
            nine.push_back(b);
    check_rejects<PasswordAlgorithms>(nine);
}

TEST_CASE("stun/attributes: RFC 5780 CHANGE-REQUEST, RESPONSE-PORT, PADDING") {
    round_trip(hex("00000006"), ChangeRequest{true, true});
    round_trip(hex("00000004"), ChangeRequest{true, false});
    round_trip(hex("00000002"), ChangeRequest{false, true});
    round_trip(hex("00000000"), ChangeRequest{false, false});
    check_rejects<ChangeRequest>(hex("000006"));
    round_trip(hex("1f90 0000"), ResponsePort{8080});
    check_rejects<ResponsePort>(hex("1f90"));
    round_trip(std::vector<uint8_t>(8, 0), Padding{8});
    round_trip({}, Padding{0});
    CHECK(Padding::parse(hex("ffffff"))->length == 3);
}

TEST_CASE("stun/attributes: RFC 8656 and RFC 6062 TURN attributes") {
    round_trip(hex("4001 0000"), ChannelNumber{0x4001});
    CHECK(ChannelNumber::in_range(0x4FFF));
    CHECK(ChannelNumber::in_range(0x668E)); // RFC 5766 range, used by coturn's uclient
    CHECK(ChannelNumber::in_range(0x7FFF));
    CHECK_FALSE(ChannelNumber::in_range(0x8000));
    CHECK_FALSE(ChannelNumber::in_range(0x3FFF));
    check_rejects<ChannelNumber>(hex("4001"));
    round_trip(hex("00000258"), Lifetime{600});
    check_rejects<Lifetime>(hex("0000025800000000"));
    const auto payload = hex("0102030405");
    round_trip(payload, Data{payload});
    round_trip({}, Data{});
    round_trip(hex("02000000"), RequestedAddressFamily{kFamilyIpv6});
    check_rejects<RequestedAddressFamily>(hex("02"));
    round_trip(hex("02000000"), AdditionalAddressFamily{kFamilyIpv6});
    round_trip(hex("80"), EvenPort{true});
    round_trip(hex("00"), EvenPort{false});
    check_rejects<EvenPort>({});
    check_rejects<EvenPort>(hex("8000000000"));
    round_trip(hex("11000000"), RequestedTransport{RequestedTransport::kUdp});
    round_trip(hex("06000000"), RequestedTransport{RequestedTransport::kTcp});
    check_rejects<RequestedTransport>(hex("11"));
    round_trip({}, DontFragment{});
    check_rejects<DontFragment>(hex("00"));
    round_trip(hex("0102030405060708"), ReservationToken{0x0102030405060708ull});
    check_rejects<ReservationToken>(hex("01020304"));
    round_trip(concat(hex("02000428"), "Address Family not Supported"),
               AddressErrorCode{kFamilyIpv6, 440, "Address Family not Supported"});
    check_rejects<AddressErrorCode>(hex("02000740"));
    check_rejects<AddressErrorCode>(hex("020004"));
    round_trip(hex("0000 03 01 000005dc"), Icmp{3, 1, 1500});
    check_rejects<Icmp>(hex("00000301"));
    round_trip(hex("12345678"), ConnectionId{0x12345678});
    check_rejects<ConnectionId>(hex("123456"));
}

TEST_CASE("stun/attributes: RFC 8445 ICE attributes") {
    round_trip(hex("6e0001ff"), Priority{0x6e0001ff});
    check_rejects<Priority>(hex("6e0001ff00"));
    round_trip({}, UseCandidate{});
    check_rejects<UseCandidate>(hex("00000000"));
    round_trip(hex("932ff9b151263b36"), IceControlled{0x932ff9b151263b36ull});
    round_trip(hex("0000000000000001"), IceControlling{1});
    check_rejects<IceControlling>(hex("00000001"));
}
