#include "turn/server.hpp"

#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/credentials.hpp"
#include "turn_test_util.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

using namespace rtc;
using namespace rtc::turn;
using namespace std::chrono_literals;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::MessageView;
using stun::Method;
using turn_test::ep;
using turn_test::kT0;
using turn_test::kWall;

namespace {

class FakeRelays : public RelayAllocator {
public:
    std::optional<RelayGrant> allocate(const RelayRequest& request) override {
        if (fail)
            return std::nullopt;
        RelayId id = next_id++;
        auto address =
            request.family == util::Family::V4 ? ep("198.51.100.1:0") : ep("[2001:db8::1]:0");
        address.port = static_cast<uint16_t>(50000 + 2 * id);
        open.push_back(id);
        RelayGrant g{{id, address}, std::nullopt};
        if (request.reserve_next)
            g.reservation_token = 0x1122334455667788u;
        return g;
    }
    void release(RelayId id) override {
        std::erase(open, id);
        released.push_back(id);
    }
    bool fail = false;
    RelayId next_id = 1;
    std::vector<RelayId> open;
    std::vector<RelayId> released;
};

struct Harness {
    FakeRelays relays;
    stun::BindingServer binding{stun::BindingServerConfig{}};
    TurnServer server;
    FiveTuple tuple{ep("203.0.113.10:40000"), ep("192.0.2.1:3478"), stun::Transport::Udp};
    std::string nonce;
    std::string user = "alice";
    std::string password = "s3cret";
    uint32_t txn = 0;
    std::array<uint8_t, 2048> out{};

    static TurnServerConfig config() {
        TurnServerConfig c;
        c.nonce_key.fill(3);
        c.limits.max_allocations_per_user = 2;
        c.limits.max_permissions_per_allocation = 3;
        return c;
    }
    static std::shared_ptr<CredentialStore> creds() {
        auto users = UserStore::build("example.org", {{"alice", "s3cret"}, {"bob", "pw"}});
        return std::make_shared<CredentialStore>(
            CredentialConfig{"example.org", users.store, {"north"}});
    }

    explicit Harness(PeerFilterConfig filter = {})
        : server(config(), creds(), PeerFilter(filter), binding, relays) {}

    stun::TransactionId next_id() {
        stun::TransactionId id{};
        ++txn;
        id[0] = static_cast<uint8_t>(txn);
        id[11] = 0x5A;
        return id;
    }

    // Builds a request; `extra` adds method attributes; credentials are added when a nonce
    // is known.
    std::vector<uint8_t> request(Method method, const std::function<void(MessageBuilder&)>& extra,
                                 std::optional<stun::TransactionId> id = std::nullopt) {
        std::vector<uint8_t> buf(2048);
        MessageBuilder b(buf, method, MessageClass::Request, id ? *id : next_id());
        extra(b);
        if (!nonce.empty()) {
            b.add(stun::Username{user});
            b.add(stun::Realm{"example.org"});
            b.add(stun::Nonce{nonce});
            auto key = stun::long_term_key_md5(user, "example.org", password);
            REQUIRE(key);
            b.add_message_integrity(*key);
        }
        REQUIRE(b.ok());
        buf.resize(b.size());
        return buf;
    }

    ClientAction send(const std::vector<uint8_t>& bytes, Clock::time_point now = kT0) {
        return server.handle_client(bytes, ClientContext{tuple}, now, kWall, out);
    }
    MessageView response(const ClientAction& a) {
        REQUIRE(a.kind == ActionKind::SendToClient);
        auto m = MessageView::parse(std::span<const uint8_t>(out).first(a.size));
        REQUIRE(m);
        return *m;
    }
    uint16_t code(const ClientAction& a) {
        auto m = response(a);
        if (m.message_class() == MessageClass::SuccessResponse)
            return 0;
        auto e = m.get<stun::ErrorCode>();
        REQUIRE(e);
        return e->code;
    }
    // The 401 dance: learns the nonce.
    void login() {
        nonce.clear();
        auto a = send(request(Method::Allocate, [](MessageBuilder&) {}));
        auto m = response(a);
        REQUIRE(m.get<stun::ErrorCode>()->code == 401);
        auto n = m.get<stun::Nonce>();
        REQUIRE(n);
        nonce = std::string(n->value);
    }
    // An authenticated UDP allocation; returns the relayed address.
    util::Endpoint allocate_udp() {
        if (nonce.empty())
            login();
        auto a = send(request(Method::Allocate,
                              [](MessageBuilder& b) { b.add(stun::RequestedTransport{}); }));
        auto m = response(a);
        REQUIRE(m.message_class() == MessageClass::SuccessResponse);
        auto relayed = m.get<stun::XorRelayedAddress>();
        REQUIRE(relayed);
        return relayed->endpoint;
    }
    uint16_t permit(const char* peer) {
        return code(send(request(Method::CreatePermission, [&](MessageBuilder& b) {
            b.add(stun::XorPeerAddress{ep(peer)});
        })));
    }
    uint16_t bind(uint16_t number, const char* peer) {
        return code(send(request(Method::ChannelBind, [&](MessageBuilder& b) {
            b.add(stun::ChannelNumber{number});
            b.add(stun::XorPeerAddress{ep(peer)});
        })));
    }
};

std::vector<uint8_t> send_indication(const char* peer, std::span<const uint8_t> data) {
    std::vector<uint8_t> buf(2048);
    MessageBuilder b(buf, Method::Send, MessageClass::Indication, stun::TransactionId{9});
    b.add(stun::XorPeerAddress{ep(peer)});
    b.add(stun::Data{data});
    REQUIRE(b.ok());
    buf.resize(b.size());
    return buf;
}

} // namespace

TEST_CASE("turn::TurnServer challenges, authenticates and allocates") {
    Harness h;
    auto a = h.send(
        h.request(Method::Allocate, [](MessageBuilder& b) { b.add(stun::RequestedTransport{}); }));
    auto challenge = h.response(a);
    CHECK(challenge.get<stun::ErrorCode>()->code == 401);
    CHECK(challenge.get<stun::Realm>()->value == "example.org");
    REQUIRE(challenge.get<stun::PasswordAlgorithms>());
    CHECK(challenge.get<stun::PasswordAlgorithms>()->count == 2);
    CHECK_FALSE(challenge.has_message_integrity());
    CHECK(h.server.allocation_count() == 0);
    CHECK(h.server.counters().challenges == 1);

    h.nonce = std::string(challenge.get<stun::Nonce>()->value);
    auto ok = h.send(h.request(Method::Allocate, [](MessageBuilder& b) {
        b.add(stun::RequestedTransport{});
        b.add(stun::Lifetime{100000});
    }));
    auto m = h.response(ok);
    REQUIRE(m.message_class() == MessageClass::SuccessResponse);
    CHECK(m.get<stun::XorRelayedAddress>()->endpoint == ep("198.51.100.1:50002"));
    CHECK(m.get<stun::XorMappedAddress>()->endpoint == h.tuple.client);
    CHECK(m.get<stun::Lifetime>()->seconds == 3600); // clamped to the maximum
    auto key = stun::long_term_key_md5("alice", "example.org", "s3cret");
    CHECK(m.verify_message_integrity(*key));
    CHECK(h.server.allocation_count() == 1);
    CHECK(h.relays.open.size() == 1);

    SUBCASE("a retransmitted Allocate gets the same relay; another one gets 437") {
        std::optional<stun::TransactionId> first;
        {
            stun::TransactionId id{};
            id[0] = 2; // the second request's id, see Harness::next_id
            id[11] = 0x5A;
            first = id;
        }
        auto again = h.send(h.request(
            Method::Allocate, [](MessageBuilder& b) { b.add(stun::RequestedTransport{}); }, first));
        CHECK(h.code(again) == 0);
        CHECK(h.relays.open.size() == 1);
        CHECK(h.code(h.send(h.request(Method::Allocate, [](MessageBuilder& b) {
            b.add(stun::RequestedTransport{});
        }))) == 437);
    }
    SUBCASE("another user on the same five-tuple gets 441") {
        h.user = "bob";
        h.password = "pw";
        CHECK(h.code(h.send(h.request(Method::Refresh, [](MessageBuilder&) {}))) == 441);
    }
    SUBCASE("Refresh 0 deletes and releases the relay") {
        auto r =
            h.send(h.request(Method::Refresh, [](MessageBuilder& b) { b.add(stun::Lifetime{0}); }));
        CHECK(h.code(r) == 0);
        CHECK(h.server.allocation_count() == 0);
        CHECK(h.relays.released == std::vector<RelayId>{1});
        CHECK(h.code(h.send(h.request(Method::Refresh, [](MessageBuilder&) {}))) == 437);
    }
    SUBCASE("allocations expire on the timer") {
        REQUIRE(h.server.next_deadline());
        CHECK(*h.server.next_deadline() <= kT0 + 3600s);
        h.server.on_timer(kT0 + 3599s);
        CHECK(h.server.allocation_count() == 1);
        h.server.on_timer(kT0 + 3600s);
        CHECK(h.server.allocation_count() == 0);
        CHECK(h.relays.released == std::vector<RelayId>{1});
        CHECK(h.server.counters().allocations_expired == 1);
    }
}

TEST_CASE("turn::TurnServer authentication errors") {
    Harness h;
    h.login();
    SUBCASE("wrong password -> 401") {
        h.password = "wrong";
        CHECK(h.code(h.send(h.request(Method::Allocate, [](MessageBuilder& b) {
            b.add(stun::RequestedTransport{});
        }))) == 401);
        CHECK(h.server.counters().auth_failures == 1);
    }
    SUBCASE("unknown user -> 401") {
        h.user = "mallory";
        CHECK(h.code(h.send(h.request(Method::Allocate, [](MessageBuilder&) {}))) == 401);
    }
    SUBCASE("stale nonce -> 438 with a fresh nonce") {
        auto a = h.send(h.request(Method::Allocate, [](MessageBuilder&) {}), kT0 + 600s);
        auto m = h.response(a);
        CHECK(m.get<stun::ErrorCode>()->code == 438);
        CHECK(m.get<stun::Nonce>()->value != h.nonce);
    }
    SUBCASE("missing REALM -> 400") {
        std::vector<uint8_t> buf(512);
        MessageBuilder b(buf, Method::Allocate, MessageClass::Request, h.next_id());
        b.add(stun::Username{"alice"});
        b.add(stun::Nonce{h.nonce});
        b.add_message_integrity(*stun::long_term_key_md5("alice", "example.org", "s3cret"));
        buf.resize(b.size());
        CHECK(h.code(h.send(buf)) == 400);
    }
    SUBCASE("REST credentials are accepted until they expire") {
        h.user = "1700000100:carol";
        h.password = rest_password("north", h.user);
        CHECK(h.code(h.send(h.request(Method::Allocate, [](MessageBuilder& b) {
            b.add(stun::RequestedTransport{});
        }))) == 0);
        h.tuple.client.port = 40001;
        h.login();
        h.user = "1690000000:carol";
        h.password = rest_password("north", h.user);
        CHECK(h.code(h.send(h.request(Method::Allocate, [](MessageBuilder&) {}))) == 401);
    }
}

TEST_CASE("turn::TurnServer Allocate errors") {
    Harness h;
    h.login();
    auto alloc = [&](const std::function<void(MessageBuilder&)>& extra) {
        return h.code(h.send(h.request(Method::Allocate, extra)));
    };
    CHECK(alloc([](MessageBuilder&) {}) == 400); // no REQUESTED-TRANSPORT
    CHECK(alloc([](MessageBuilder& b) { b.add(stun::RequestedTransport{99}); }) == 442);
    CHECK(alloc([](MessageBuilder& b) {
              b.add(stun::RequestedTransport{});
              b.add(stun::RequestedAddressFamily{stun::kFamilyIpv6});
          }) == 440); // no IPv6 relay configured
    CHECK(alloc([](MessageBuilder& b) {
              b.add(stun::RequestedTransport{});
              b.add(stun::RequestedAddressFamily{7});
          }) == 440);
    CHECK(alloc([](MessageBuilder& b) {
              b.add(stun::RequestedTransport{});
              b.add(stun::EvenPort{});
              b.add(stun::ReservationToken{1});
          }) == 400);
    CHECK(alloc([](MessageBuilder& b) {
              b.add(stun::RequestedTransport{});
              b.add(stun::RequestedAddressFamily{stun::kFamilyIpv4});
              b.add(stun::AdditionalAddressFamily{stun::kFamilyIpv6});
          }) == 400);
    h.relays.fail = true;
    CHECK(alloc([](MessageBuilder& b) { b.add(stun::RequestedTransport{}); }) == 508);
    h.relays.fail = false;

    SUBCASE("EVEN-PORT R returns a reservation token") {
        auto a = h.send(h.request(Method::Allocate, [](MessageBuilder& b) {
            b.add(stun::RequestedTransport{});
            b.add(stun::EvenPort{true});
        }));
        auto m = h.response(a);
        REQUIRE(m.get<stun::ReservationToken>());
        CHECK(m.get<stun::ReservationToken>()->token == 0x1122334455667788u);
    }
    SUBCASE("per-user quota -> 486") {
        for (uint16_t port : {40001, 40002}) {
            h.tuple.client.port = port;
            h.login();
            CHECK(alloc([](MessageBuilder& b) { b.add(stun::RequestedTransport{}); }) == 0);
        }
        h.tuple.client.port = 40003;
        h.login();
        CHECK(alloc([](MessageBuilder& b) { b.add(stun::RequestedTransport{}); }) == 486);
    }
}

TEST_CASE("turn::TurnServer permissions, Send and Data indications") {
    Harness h;
    auto relayed = h.allocate_udp();
    std::array<uint8_t, 5> payload{1, 2, 3, 4, 5};

    // No permission yet: dropped silently in both directions.
    auto a = h.send(send_indication("8.8.8.8:9000", payload));
    CHECK(a.kind == ActionKind::None);
    auto p = h.server.handle_peer(1, ep("8.8.8.8:9000"), payload, kT0, h.out);
    CHECK(p.kind == ActionKind::None);
    CHECK(h.server.counters().dropped_no_permission == 2);

    CHECK(h.permit("127.0.0.1:1") == 403);
    CHECK(h.permit("[::ffff:10.0.0.1]:1") == 443); // an IPv6 peer on an IPv4-only allocation
    CHECK(h.permit("[2001:db8::5]:1") == 443);
    CHECK(h.permit("8.8.8.8:1") == 0);

    a = h.send(send_indication("8.8.8.8:9000", payload));
    REQUIRE(a.kind == ActionKind::SendToPeer);
    CHECK(a.relay == 1);
    CHECK(a.peer == ep("8.8.8.8:9000"));
    CHECK(std::equal(a.payload.begin(), a.payload.end(), payload.begin(), payload.end()));

    p = h.server.handle_peer(1, ep("8.8.8.8:7"), payload, kT0, h.out);
    REQUIRE(p.kind == ActionKind::SendToClient);
    CHECK(p.five_tuple == h.tuple);
    auto data = MessageView::parse(std::span<const uint8_t>(h.out).first(p.size));
    REQUIRE(data);
    CHECK(data->method() == Method::Data);
    CHECK(data->message_class() == MessageClass::Indication);
    CHECK(data->get<stun::XorPeerAddress>()->endpoint == ep("8.8.8.8:7"));
    auto d = data->get<stun::Data>();
    REQUIRE(d);
    CHECK(std::equal(d->bytes.begin(), d->bytes.end(), payload.begin(), payload.end()));

    // Permissions last 300 s.
    CHECK(h.server.handle_peer(1, ep("8.8.8.8:7"), payload, kT0 + 300s, h.out).kind ==
          ActionKind::None);
    CHECK(relayed.port == 50002);

    SUBCASE("permission quota -> 508, all or nothing") {
        CHECK(h.permit("8.8.4.4:1") == 0);
        CHECK(h.permit("1.1.1.1:1") == 0);
        CHECK(h.permit("1.0.0.1:1") == 508);
        CHECK(h.permit("8.8.8.8:2") == 0); // refreshing an existing one still works
    }
}

TEST_CASE("turn::TurnServer channels") {
    Harness h(PeerFilterConfig{{}, {}, true});
    h.allocate_udp();
    CHECK(h.bind(0x3FFF, "8.8.8.8:9000") == 400);
    CHECK(h.bind(0x4000, "127.0.0.1:9000") == 0);   // loopback allowed by the flag
    CHECK(h.bind(0x4000, "8.8.8.8:9000") == 400);   // number bound to another peer
    CHECK(h.bind(0x4001, "127.0.0.1:9000") == 400); // peer bound to another number
    CHECK(h.bind(0x4000, "127.0.0.1:9000") == 0);   // refresh

    std::array<uint8_t, 7> payload{9, 8, 7, 6, 5, 4, 3};
    std::array<uint8_t, 12> cd{0x40, 0x00, 0x00, 0x07, 9, 8, 7, 6, 5, 4, 3, 0};
    auto a = h.send(std::vector<uint8_t>(cd.begin(), cd.end()));
    REQUIRE(a.kind == ActionKind::SendToPeer);
    CHECK(a.peer == ep("127.0.0.1:9000"));
    CHECK(a.payload.size() == 7);

    std::array<uint8_t, 4> short_length{0x40, 0x00, 0x00, 0x09};
    CHECK(h.send(std::vector<uint8_t>(short_length.begin(), short_length.end())).kind ==
          ActionKind::None);
    std::array<uint8_t, 5> unbound{0x40, 0x02, 0x00, 0x01, 1};
    CHECK(h.send(std::vector<uint8_t>(unbound.begin(), unbound.end())).kind == ActionKind::None);

    auto p = h.server.handle_peer(1, ep("127.0.0.1:9000"), payload, kT0, h.out);
    REQUIRE(p.kind == ActionKind::SendToClient);
    CHECK(p.size == 11); // UDP: no padding
    CHECK(h.out[0] == 0x40);
    CHECK(h.out[1] == 0x00);
    CHECK(h.out[3] == 7);
    CHECK(h.out[10] == 3);
    // Another port of the same peer IP has a permission but no channel: Data indication.
    p = h.server.handle_peer(1, ep("127.0.0.1:9001"), payload, kT0, h.out);
    REQUIRE(p.kind == ActionKind::SendToClient);
    CHECK(MessageView::parse(std::span<const uint8_t>(h.out).first(p.size))->method() ==
          Method::Data);
    CHECK(h.server.counters().channels_bound == 1);
}

TEST_CASE("turn::TurnServer pads ChannelData over TCP and answers Binding") {
    Harness h(PeerFilterConfig{{}, {}, true});
    h.tuple.transport = stun::Transport::Tcp;
    h.allocate_udp();
    CHECK(h.bind(0x4ABC, "127.0.0.1:9000") == 0);
    std::array<uint8_t, 5> payload{1, 2, 3, 4, 5};
    auto p = h.server.handle_peer(1, ep("127.0.0.1:9000"), payload, kT0, h.out);
    REQUIRE(p.kind == ActionKind::SendToClient);
    CHECK(p.size == 12); // RFC 8656 §12.5: padded to a multiple of 4

    std::vector<uint8_t> buf(64);
    MessageBuilder b(buf, Method::Binding, MessageClass::Request, h.next_id());
    buf.resize(b.size());
    auto a = h.send(buf);
    auto m = h.response(a);
    CHECK(m.method() == Method::Binding);
    CHECK(m.get<stun::XorMappedAddress>()->endpoint == h.tuple.client);
}

TEST_CASE("turn::TurnServer drops garbage without state") {
    Harness h;
    std::vector<uint8_t> junk{0x00, 0x01, 0x00};
    CHECK(h.send(junk).kind == ActionKind::None);
    CHECK(h.send({}).kind == ActionKind::None);
    CHECK(h.server.counters().dropped_malformed == 2);
    CHECK(h.server.allocation_count() == 0);
}
