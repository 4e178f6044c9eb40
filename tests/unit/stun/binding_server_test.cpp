#include "stun/attributes.hpp"
#include "stun/binding_server.hpp"
#include "stun/builder.hpp"
#include "stun_test_util.hpp"

#include <array>
#include <stdexcept>
#include <vector>

using namespace rtc;
using namespace rtc::stun;
using rtc::stun::test::endpoint;
using rtc::stun::test::hex;
using rtc::stun::test::to_vector;

namespace {

const TransactionId kId = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac};

std::array<util::Endpoint, 4> nat_addresses() {
    return {endpoint("192.0.2.10:3478"), endpoint("192.0.2.10:3479"), endpoint("192.0.2.20:3478"),
            endpoint("192.0.2.20:3479")};
}

// Builds a Binding request; `extra` adds attributes before the optional FINGERPRINT.
template <class Extra = void (*)(MessageBuilder &)>
std::vector<uint8_t> request(
    Extra extra = [](MessageBuilder &) {}, bool fingerprint = false,
    MessageClass cls = MessageClass::Request, Method method = Method::Binding) {
    std::vector<uint8_t> buf(2048);
    MessageBuilder b(buf, method, cls, kId);
    extra(b);
    if (fingerprint)
        b.add_fingerprint();
    REQUIRE(b.ok());
    return to_vector(b.bytes());
}

struct Exchange {
    BindingOutcome outcome;
    std::vector<uint8_t> response;
    std::optional<MessageView> view() const { return MessageView::parse(response); }
};

Exchange run(const BindingServer &server, const std::vector<uint8_t> &bytes,
             const std::string &source = "198.51.100.7:40000", uint8_t local_index = 0,
             Transport transport = Transport::Udp) {
    BindingRequest r;
    r.bytes = bytes;
    r.source = endpoint(source);
    r.local = nat_addresses()[local_index];
    r.local_index = local_index;
    r.transport = transport;
    std::array<uint8_t, 2048> out{};
    Exchange e;
    e.outcome = server.handle(r, out);
    e.response.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(e.outcome.size));
    if (e.outcome.size > 0) {
        // The amplification bound holds for every response.
        CHECK(e.outcome.size * 2 <= bytes.size() * 5);
        CHECK(e.outcome.drop == DropReason::None);
    }
    return e;
}

std::vector<uint16_t> types_of(const MessageView &m) {
    std::vector<uint16_t> t;
    for (auto a : m)
        t.push_back(a.type);
    return t;
}

} // namespace

TEST_CASE("stun/binding_server: a bare request gets XOR-MAPPED-ADDRESS only") {
    BindingServer server({});
    auto e = run(server, request());
    REQUIRE(e.outcome.size > 0);
    CHECK(e.outcome.error_code == 0);
    CHECK(e.outcome.send_from == 0);
    CHECK(e.outcome.destination == endpoint("198.51.100.7:40000"));
    auto m = e.view();
    REQUIRE(m);
    CHECK(m->method() == Method::Binding);
    CHECK(m->message_class() == MessageClass::SuccessResponse);
    CHECK(m->transaction_id() == kId);
    CHECK_FALSE(m->is_classic());
    CHECK(types_of(*m) == std::vector<uint16_t>{attr::kXorMappedAddress});
    CHECK(m->get<XorMappedAddress>()->endpoint == endpoint("198.51.100.7:40000"));
    CHECK(e.outcome.size == 32);
}

TEST_CASE("stun/binding_server: IPv6 clients") {
    BindingServer server({});
    auto e = run(server, request(), "[2001:db8::5]:5000");
    auto m = e.view();
    REQUIRE(m);
    CHECK(m->get<XorMappedAddress>()->endpoint == endpoint("[2001:db8::5]:5000"));
    CHECK(e.outcome.size == 44); // fits the 50-byte budget of a 20-byte request
}

TEST_CASE("stun/binding_server: RFC 3489 clients also get MAPPED-ADDRESS") {
    auto classic = hex("0001 0000 0badcafe 0102030405060708090a0b0c");
    BindingServer server({});
    auto e = run(server, classic);
    auto m = e.view();
    REQUIRE(m);
    CHECK(m->is_classic());
    CHECK(m->cookie() == 0x0badcafeu); // the 128-bit transaction id is echoed
    CHECK(types_of(*m) == std::vector<uint16_t>{attr::kXorMappedAddress, attr::kMappedAddress});
    CHECK(m->get<MappedAddress>()->endpoint == endpoint("198.51.100.7:40000"));

    // With RFC 5780 addresses, the `stun` program's 28-byte request with CHANGE-REQUEST gets
    // SOURCE-ADDRESS and CHANGED-ADDRESS, answered from the changed address.
    BindingServer nat({std::nullopt, nat_addresses()});
    auto change = hex("0001 0008 0badcafe 0102030405060708090a0b0c 00030004 00000006");
    auto c = run(nat, change);
    auto cm = c.view();
    REQUIRE(cm);
    CHECK(c.outcome.send_from == 3);
    CHECK(types_of(*cm) == std::vector<uint16_t>{attr::kXorMappedAddress, attr::kMappedAddress,
                                                 attr::kSourceAddress, attr::kChangedAddress});
    CHECK(cm->get<ChangedAddress>()->endpoint == endpoint("192.0.2.20:3479"));
    CHECK(cm->get<SourceAddress>()->endpoint == endpoint("192.0.2.20:3479"));
}

TEST_CASE("stun/binding_server: FINGERPRINT only when the request had one") {
    BindingServer server({});
    auto with = run(server, request([](MessageBuilder &) {}, true));
    auto m = with.view();
    REQUIRE(m);
    CHECK(m->has_fingerprint());
    CHECK(types_of(*m).back() == attr::kFingerprint);
    auto without = run(server, request());
    CHECK_FALSE(without.view()->has_fingerprint());
}

TEST_CASE("stun/binding_server: SOFTWARE when configured and within the budget") {
    BindingServer server({std::string("rtc-stun 0.1.0"), std::nullopt});
    auto bare = run(server, request());
    CHECK_FALSE(bare.view()->has(attr::kSoftware)); // 32 + 20 > 50
    auto bigger = run(server, request([](MessageBuilder &b) { b.add(Software{"client 1.0"}); }));
    auto m = bigger.view();
    REQUIRE(m);
    CHECK(m->get<Software>()->value == "rtc-stun 0.1.0");
}

TEST_CASE("stun/binding_server: RFC 5780 OTHER-ADDRESS and RESPONSE-ORIGIN") {
    BindingServer server({std::nullopt, nat_addresses()});
    // A bare 20-byte request leaves room for OTHER-ADDRESS only.
    auto bare = run(server, request());
    auto m = bare.view();
    REQUIRE(m);
    CHECK(types_of(*m) == std::vector<uint16_t>{attr::kXorMappedAddress, attr::kOtherAddress});
    CHECK(m->get<OtherAddress>()->endpoint == endpoint("192.0.2.20:3479"));
    // A request carrying CHANGE-REQUEST (no change) gets RESPONSE-ORIGIN as well.
    auto full = run(server, request([](MessageBuilder &b) { b.add(ChangeRequest{}); }));
    auto f = full.view();
    REQUIRE(f);
    CHECK(types_of(*f) == std::vector<uint16_t>{attr::kXorMappedAddress, attr::kResponseOrigin,
                                                attr::kOtherAddress});
    CHECK(f->get<ResponseOrigin>()->endpoint == endpoint("192.0.2.10:3478"));
}

TEST_CASE("stun/binding_server: CHANGE-REQUEST picks each of the four sockets") {
    BindingServer server({std::nullopt, nat_addresses()});
    const auto addresses = nat_addresses();
    for (uint8_t local = 0; local < 4; ++local) {
        for (int flags = 0; flags < 4; ++flags) {
            bool ip = flags & 2;
            bool port = flags & 1;
            auto e = run(server, request([&](MessageBuilder &b) {
                             b.add(ChangeRequest{ip, port});
                         }),
                         "198.51.100.7:40000", local);
            CAPTURE(local);
            CAPTURE(flags);
            REQUIRE(e.outcome.size > 0);
            uint8_t expected = static_cast<uint8_t>(local ^ flags);
            CHECK(e.outcome.send_from == expected);
            auto m = e.view();
            REQUIRE(m);
            CHECK(m->get<ResponseOrigin>()->endpoint == addresses[expected]);
            CHECK(m->get<OtherAddress>()->endpoint == addresses[3]);
            CHECK(e.outcome.destination == endpoint("198.51.100.7:40000"));
        }
    }
}

TEST_CASE("stun/binding_server: RESPONSE-PORT redirects on UDP only") {
    BindingServer server({std::nullopt, nat_addresses()});
    auto e = run(server, request([](MessageBuilder &b) { b.add(ResponsePort{5555}); }));
    REQUIRE(e.outcome.size > 0);
    CHECK(e.outcome.error_code == 0);
    CHECK(e.outcome.destination == endpoint("198.51.100.7:5555"));
    CHECK(e.view()->get<XorMappedAddress>()->endpoint == endpoint("198.51.100.7:40000"));

    auto zero = run(server, request([](MessageBuilder &b) { b.add(ResponsePort{0}); }));
    CHECK(zero.outcome.error_code == 400);

    auto tcp = run(server, request([](MessageBuilder &b) { b.add(ResponsePort{5555}); }),
                   "198.51.100.7:40000", 0, Transport::Tcp);
    CHECK(tcp.outcome.error_code == 420);
    CHECK(tcp.outcome.destination.port == 40000);
    CHECK(tcp.view()->get<UnknownAttributes>()->list()[0] == attr::kResponsePort);

    BindingServer plain({});
    auto unserved = run(plain, request([](MessageBuilder &b) { b.add(ResponsePort{5555}); }));
    CHECK(unserved.outcome.error_code == 420);
    CHECK(unserved.outcome.destination.port == 40000);
    CHECK(unserved.view()->get<UnknownAttributes>()->list()[0] == attr::kResponsePort);
}

TEST_CASE("stun/binding_server: CHANGE-REQUEST it cannot honour gets 420") {
    auto change = request([](MessageBuilder &b) { b.add(ChangeRequest{true, true}); });
    BindingServer plain({});
    auto e = run(plain, change);
    REQUIRE(e.outcome.size > 0);
    CHECK(e.outcome.error_code == 420);
    auto m = e.view();
    REQUIRE(m);
    CHECK(m->message_class() == MessageClass::ErrorResponse);
    CHECK(m->get<ErrorCode>()->code == 420);
    CHECK(m->get<ErrorCode>()->reason == "Unknown Attribute");
    auto unknown = m->get<UnknownAttributes>();
    REQUIRE(unknown);
    CHECK(unknown->count == 1);
    CHECK(unknown->types[0] == attr::kChangeRequest);
    CHECK(e.outcome.send_from == 0);

    BindingServer nat({std::nullopt, nat_addresses()});
    for (auto t : {Transport::Tcp, Transport::Tls, Transport::Dtls}) {
        auto s = run(nat, change, "198.51.100.7:40000", 0, t);
        CHECK(s.outcome.error_code == 420);
        CHECK(s.outcome.send_from == 0);
    }
}

TEST_CASE("stun/binding_server: unknown comprehension-required attributes get 420") {
    BindingServer server({});
    const auto v = hex("01020304");
    auto e = run(server, request(
                             [&](MessageBuilder &b) {
                                 b.add_raw(0x7701, v);
                                 b.add_raw(0x8801, v); // optional: ignored
                                 b.add_raw(0x7702, {});
                                 b.add_raw(0x7701, v);
                             },
                             true));
    CHECK(e.outcome.error_code == 420);
    auto m = e.view();
    REQUIRE(m);
    auto unknown = m->get<UnknownAttributes>();
    REQUIRE(unknown);
    CHECK(std::vector<uint16_t>(unknown->list().begin(), unknown->list().end()) ==
          std::vector<uint16_t>{0x7701, 0x7702});
    CHECK(m->has_fingerprint());

    // Optional unknown attributes and understood ones (ICE, integrity) do not matter.
    auto ok = run(server, request([&](MessageBuilder &b) {
                      b.add_raw(0x8801, v);
                      b.add(Priority{1});
                      b.add(Username{"a:b"});
                      b.add_message_integrity(util::as_bytes("k"));
                  }));
    CHECK(ok.outcome.error_code == 0);
    CHECK(ok.outcome.size > 0);

    // The list is cut to what fits the budget, but never empty.
    std::vector<uint8_t> many = request([](MessageBuilder &b) {
        for (uint16_t t = 0x7000; t < 0x7000 + 40; ++t)
            b.add_raw(t, {});
    });
    auto lots = run(server, many);
    CHECK(lots.outcome.error_code == 420);
    CHECK(lots.view()->get<UnknownAttributes>()->count == UnknownAttributes::kMaxTypes);
    auto one = run(server, hex("0001 0004 2112a442 a1a2a3a4a5a6a7a8a9aaabac 77770000"));
    CHECK(one.outcome.error_code == 420);
    CHECK(one.outcome.size == 56);
}

TEST_CASE("stun/binding_server: malformed known attributes get 400") {
    BindingServer server({std::nullopt, nat_addresses()});
    const auto three = hex("000006");
    auto e =
        run(server, request([&](MessageBuilder &b) { b.add_raw(attr::kChangeRequest, three); }));
    CHECK(e.outcome.error_code == 400);
    auto m = e.view();
    REQUIRE(m);
    CHECK(m->get<ErrorCode>()->reason == "Bad Request");
    CHECK_FALSE(m->has(attr::kUnknownAttributes));
}

TEST_CASE("stun/binding_server: drops with a reason") {
    BindingServer server({});
    auto drop = [&](const std::vector<uint8_t> &bytes) {
        auto e = run(server, bytes);
        CHECK(e.outcome.size == 0);
        return e.outcome.drop;
    };
    CHECK(drop(request([](MessageBuilder &) {}, false, MessageClass::Indication)) ==
          DropReason::NotRequest);
    CHECK(drop(request([](MessageBuilder &) {}, false, MessageClass::SuccessResponse)) ==
          DropReason::NotRequest);
    CHECK(drop(request([](MessageBuilder &) {}, false, MessageClass::ErrorResponse)) ==
          DropReason::NotRequest);
    CHECK(drop(request([](MessageBuilder &) {}, false, MessageClass::Request, Method::Allocate)) ==
          DropReason::UnsupportedMethod);
    CHECK(drop(hex("16030100")) == DropReason::NotStun); // a TLS record
    CHECK(drop(hex("8000 0000 00000000 000000000000000000000000")) == DropReason::NotStun);
    CHECK(drop(hex("0001 0004 2112a442 a1a2a3a4a5a6a7a8a9aaabac")) == DropReason::BadLength);
    CHECK(drop(hex("0001 0004 2112a442 a1a2a3a4a5a6a7a8a9aaabac 80220004")) ==
          DropReason::BadAttribute);
    auto bad_fp = request([](MessageBuilder &) {}, true);
    bad_fp.back() ^= 1;
    CHECK(drop(bad_fp) == DropReason::BadFingerprint);
    CHECK(drop(hex("0001 000c 2112a442 a1a2a3a4a5a6a7a8a9aaabac 80280004 00000000 00250000")) ==
          DropReason::MisplacedFingerprint);

    CHECK(to_string(DropReason::None) == "none");
    CHECK(to_string(DropReason::NotRequest) == "not_request");
    CHECK(to_string(DropReason::UnsupportedMethod) == "unsupported_method");
    CHECK(to_string(DropReason::BufferTooSmall) == "buffer_too_small");
    CHECK(to_string(drop_reason(ParseError::BadFingerprint)) == "bad_fingerprint");
}

TEST_CASE("stun/binding_server: PADDING is echoed without exceeding the request") {
    BindingServer server({std::string("rtc-stun"), nat_addresses()});
    auto padded = request([](MessageBuilder &b) { b.add(Padding{1000}); });
    REQUIRE(padded.size() == 1024);
    auto e = run(server, padded);
    REQUIRE(e.outcome.size > 0);
    CHECK(e.outcome.size <= padded.size());
    CHECK(e.outcome.size > 1000);
    auto m = e.view();
    REQUIRE(m);
    auto p = m->get<Padding>();
    REQUIRE(p);
    CHECK(p->length <= 1000);
    CHECK(m->has(attr::kSoftware));

    // A short PADDING is echoed at its own length when there is room: 96-byte request,
    // 68 bytes of response before PADDING.
    const std::string name(60, 'n');
    auto small = run(server, request([&](MessageBuilder &b) {
                         b.add(Software{name});
                         b.add(Padding{8});
                     }));
    REQUIRE(small.view()->has(attr::kPadding));
    CHECK(small.view()->get<Padding>()->length == 8);
    CHECK(small.outcome.size == 80);
    // No room at all: no PADDING, but still an answer.
    auto tight = run(server, request([](MessageBuilder &b) { b.add(Padding{8}); }));
    REQUIRE(tight.outcome.size > 0);
    CHECK_FALSE(tight.view()->has(attr::kPadding));

    // Not over streams.
    auto tcp = run(server, padded, "198.51.100.7:40000", 0, Transport::Tcp);
    CHECK_FALSE(tcp.view()->has(attr::kPadding));
}

TEST_CASE("stun/binding_server: never more than 2.5 times the request") {
    BindingServer server({std::string(127, 's'), nat_addresses()});
    // Requests of many shapes and sizes; run() checks the bound on each response.
    for (std::size_t software = 0; software <= 64; software += 4) {
        for (bool fp : {false, true}) {
            for (auto source : {"198.51.100.7:40000", "[2001:db8::1]:40000"}) {
                std::string name(software, 'c');
                auto bytes = request(
                    [&](MessageBuilder &b) {
                        if (software > 0)
                            b.add(Software{name});
                    },
                    fp);
                auto e = run(server, bytes, source);
                REQUIRE(e.outcome.size > 0);
                auto m = e.view();
                REQUIRE(m);
                CHECK(m->has(attr::kXorMappedAddress));
                CHECK(m->has_fingerprint() == fp);
            }
        }
    }
}

TEST_CASE("stun/binding_server: output buffer too small, and the parsed-view overload") {
    BindingServer server({});
    auto bytes = request();
    BindingRequest r{bytes, endpoint("198.51.100.7:40000"), endpoint("192.0.2.10:3478"), 0,
                     Transport::Udp};
    std::array<uint8_t, 24> tiny{};
    auto o = server.handle(r, tiny);
    CHECK(o.size == 0);
    CHECK(o.drop == DropReason::BufferTooSmall);

    auto view = MessageView::parse(bytes);
    REQUIRE(view);
    std::array<uint8_t, 128> out{};
    auto ok = server.handle(*view, r, out);
    CHECK(ok.size == 32);
    CHECK(ok.drop == DropReason::None);
}

TEST_CASE("stun/binding_server: configuration validation") {
    CHECK_FALSE(BindingServer::validate({}));
    CHECK_FALSE(BindingServer::validate({std::string("ok"), nat_addresses()}));
    CHECK(BindingServer::validate({std::string(128, 'x'), std::nullopt}));
    auto same_ip = nat_addresses();
    same_ip[2].address = same_ip[0].address;
    same_ip[3].address = same_ip[0].address;
    CHECK(BindingServer::validate({std::nullopt, same_ip}));
    auto same_port = nat_addresses();
    same_port[1].port = same_port[0].port;
    same_port[3].port = same_port[0].port;
    CHECK(BindingServer::validate({std::nullopt, same_port}));
    auto mixed = nat_addresses();
    mixed[2] = endpoint("[2001:db8::2]:3478");
    mixed[3] = endpoint("[2001:db8::2]:3479");
    CHECK(BindingServer::validate({std::nullopt, mixed}));
    CHECK_THROWS_AS(BindingServer({std::nullopt, same_ip}), std::invalid_argument);
}
