// RFC 6062 TCP allocations in the sans-I/O TURN core: Allocate, Connect, ConnectionAttempt,
// ConnectionBind, timeouts, and the error codes of each.
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

class TcpRelays : public RelayAllocator {
public:
    std::optional<RelayGrant> allocate(const RelayRequest& request) override {
        protocols.push_back(request.protocol);
        RelayId id = next_id++;
        auto address =
            request.family == util::Family::V4 ? ep("198.51.100.1:0") : ep("[2001:db8::1]:0");
        address.port = static_cast<uint16_t>(50000 + id);
        return RelayGrant{{id, address}, std::nullopt};
    }
    void release(RelayId id) override { released.push_back(id); }
    void close_connection(ConnectionId id) override { closed.push_back(id); }
    RelayId next_id = 1;
    std::vector<uint8_t> protocols;
    std::vector<RelayId> released;
    std::vector<ConnectionId> closed;
};

const char* kRealm = "example.org";

struct Client {
    FiveTuple tuple;
    std::string user = "alice";
    std::string password = "s3cret";
    std::string nonce;
};

struct TcpHarness {
    TcpRelays relays;
    stun::BindingServer binding{stun::BindingServerConfig{}};
    TurnServer server;
    Client control{{ep("203.0.113.10:40000"), ep("192.0.2.1:3478"), stun::Transport::Tcp},
                   "alice",
                   "s3cret",
                   ""};
    uint32_t txn = 0;
    std::array<uint8_t, 2048> out{};

    static TurnServerConfig config(bool tcp) {
        TurnServerConfig c;
        c.nonce_key.fill(7);
        c.tcp_relay = tcp;
        c.connection_id_shard = 3;
        c.limits.max_connections_per_allocation = 3;
        return c;
    }
    // The tests' peers are in 192.0.2.0/24, refused by default (documentation range).
    static PeerFilterConfig documentation_peers() {
        return {{*Cidr::parse("192.0.2.0/24"), *Cidr::parse("2001:db8::/32")}, {}, false};
    }
    static std::shared_ptr<CredentialStore> creds() {
        auto users = UserStore::build(kRealm, {{"alice", "s3cret"}, {"bob", "pw"}});
        return std::make_shared<CredentialStore>(CredentialConfig{kRealm, users.store, {}});
    }
    explicit TcpHarness(bool tcp = true, PeerFilterConfig filter = documentation_peers())
        : server(config(tcp), creds(), PeerFilter(filter), binding, relays) {}

    stun::TransactionId next_id() {
        stun::TransactionId id{};
        ++txn;
        id[0] = static_cast<uint8_t>(txn);
        id[11] = 0x66;
        return id;
    }
    std::vector<uint8_t> request(const Client& c, Method method,
                                 const std::function<void(MessageBuilder&)>& extra,
                                 bool fingerprint = false) {
        std::vector<uint8_t> buf(2048);
        MessageBuilder b(buf, method, MessageClass::Request, next_id());
        extra(b);
        if (!c.nonce.empty()) {
            b.add(stun::Username{c.user});
            b.add(stun::Realm{kRealm});
            b.add(stun::Nonce{c.nonce});
            auto key = stun::long_term_key_md5(c.user, kRealm, c.password);
            REQUIRE(key);
            b.add_message_integrity(*key);
        }
        if (fingerprint)
            b.add_fingerprint();
        REQUIRE(b.ok());
        buf.resize(b.size());
        return buf;
    }
    ClientAction send(const Client& c, const std::vector<uint8_t>& bytes,
                      Clock::time_point now = kT0) {
        return server.handle_client(bytes, ClientContext{c.tuple}, now, kWall, out);
    }
    MessageView parse(std::size_t size) {
        auto m = MessageView::parse(std::span<const uint8_t>(out).first(size));
        REQUIRE(m);
        return *m;
    }
    uint16_t code(const ClientAction& a) {
        REQUIRE((a.kind == ActionKind::SendToClient || a.kind == ActionKind::BindConnection));
        auto m = parse(a.size);
        if (m.message_class() == MessageClass::SuccessResponse)
            return 0;
        auto e = m.get<stun::ErrorCode>();
        REQUIRE(e);
        return e->code;
    }
    void login(Client& c) {
        c.nonce.clear();
        auto a = send(c, request(c, Method::Allocate, [](MessageBuilder&) {}));
        auto n = parse(a.size).get<stun::Nonce>();
        REQUIRE(n);
        c.nonce = std::string(n->value);
    }
    uint16_t allocate(Client& c, uint8_t protocol,
                      const std::function<void(MessageBuilder&)>& extra = {}) {
        if (c.nonce.empty())
            login(c);
        return code(send(c, request(c, Method::Allocate, [&](MessageBuilder& b) {
                             b.add(stun::RequestedTransport{protocol});
                             if (extra)
                                 extra(b);
                         })));
    }
    uint16_t permit(Client& c, const char* peer) {
        return code(send(c, request(c, Method::CreatePermission, [&](MessageBuilder& b) {
                             b.add(stun::XorPeerAddress{ep(peer)});
                         })));
    }
    ClientAction connect(Client& c, const char* peer, Clock::time_point now = kT0) {
        return send(c,
                    request(
                        c, Method::Connect,
                        [&](MessageBuilder& b) { b.add(stun::XorPeerAddress{ep(peer)}); }, true),
                    now);
    }
    ClientAction connection_bind(Client& c, std::optional<ConnectionId> id,
                                 Clock::time_point now = kT0) {
        return send(c,
                    request(c, Method::ConnectionBind,
                            [&](MessageBuilder& b) {
                                if (id)
                                    b.add(stun::ConnectionId{*id});
                            }),
                    now);
    }
    // A data connection of the same client: another source port, the control's nonce.
    Client data_client(uint16_t port = 40001) {
        Client d = control;
        d.tuple.client.port = port;
        return d;
    }
    // Connect to `peer` and let the shell report success; returns the connection id.
    ConnectionId connected(const char* peer) {
        auto a = connect(control, peer);
        REQUIRE(a.kind == ActionKind::ConnectToPeer);
        auto r = server.handle_connect_result(a.connection, true, kT0 + 1s, out);
        REQUIRE(r.kind == ActionKind::SendToClient);
        return a.connection;
    }
};

} // namespace

TEST_CASE("turn::TurnServer RFC 6062 Allocate with REQUESTED-TRANSPORT TCP") {
    SUBCASE("over TCP: a TCP relay") {
        TcpHarness h;
        CHECK(h.allocate(h.control, stun::RequestedTransport::kTcp) == 0);
        CHECK(h.relays.protocols == std::vector<uint8_t>{6});
        CHECK(h.server.table().size() == 1);
    }
    SUBCASE("over TLS too") {
        TcpHarness h;
        h.control.tuple.transport = stun::Transport::Tls;
        CHECK(h.allocate(h.control, stun::RequestedTransport::kTcp) == 0);
    }
    SUBCASE("over UDP: 400 (RFC 6062 §5.1)") {
        TcpHarness h;
        h.control.tuple.transport = stun::Transport::Udp;
        CHECK(h.allocate(h.control, stun::RequestedTransport::kTcp) == 400);
        CHECK(h.relays.protocols.empty());
    }
    SUBCASE("with DONT-FRAGMENT, EVEN-PORT or RESERVATION-TOKEN: 400") {
        TcpHarness h;
        CHECK(h.allocate(h.control, stun::RequestedTransport::kTcp,
                         [](MessageBuilder& b) { b.add(stun::DontFragment{}); }) == 400);
        CHECK(h.allocate(h.control, stun::RequestedTransport::kTcp,
                         [](MessageBuilder& b) { b.add(stun::EvenPort{false}); }) == 400);
        CHECK(h.allocate(h.control, stun::RequestedTransport::kTcp,
                         [](MessageBuilder& b) { b.add(stun::ReservationToken{5}); }) == 400);
        CHECK(h.server.table().size() == 0);
    }
    SUBCASE("disabled by configuration: 442, and other protocols always 442") {
        TcpHarness off(false);
        CHECK(off.allocate(off.control, stun::RequestedTransport::kTcp) == 442);
        TcpHarness h;
        CHECK(h.allocate(h.control, 132) == 442); // SCTP
    }
    SUBCASE("UDP allocations over TCP still get UDP relays") {
        TcpHarness h;
        CHECK(h.allocate(h.control, stun::RequestedTransport::kUdp) == 0);
        CHECK(h.relays.protocols == std::vector<uint8_t>{17});
    }
}

TEST_CASE("turn::TurnServer RFC 6062 Connect") {
    TcpHarness h;
    h.login(h.control);
    SUBCASE("without an allocation: 437") {
        CHECK(h.code(h.connect(h.control, "192.0.2.77:80")) == 437);
    }
    SUBCASE("on a UDP allocation: 400") {
        REQUIRE(h.allocate(h.control, stun::RequestedTransport::kUdp) == 0);
        CHECK(h.code(h.connect(h.control, "192.0.2.77:80")) == 400);
    }
    SUBCASE("on a TCP allocation") {
        REQUIRE(h.allocate(h.control, stun::RequestedTransport::kTcp) == 0);
        SUBCASE("no XOR-PEER-ADDRESS: 400") {
            CHECK(h.code(h.send(h.control, h.request(h.control, Method::Connect,
                                                     [](MessageBuilder&) {}))) == 400);
        }
        SUBCASE("an IPv6 peer on an IPv4 relay: 443") {
            CHECK(h.code(h.connect(h.control, "[2001:db8::9]:80")) == 443);
        }
        SUBCASE("success: ConnectToPeer, then CONNECTION-ID once connected") {
            auto a = h.connect(h.control, "192.0.2.77:80");
            REQUIRE(a.kind == ActionKind::ConnectToPeer);
            CHECK(a.relay == 1);
            CHECK(a.peer == ep("192.0.2.77:80"));
            CHECK(connection_id_shard(a.connection) == 3);
            CHECK(h.server.counters().tcp_connects == 1);
            REQUIRE(h.server.next_deadline());
            CHECK(*h.server.next_deadline() <= kT0 + 30s);
            auto r = h.server.handle_connect_result(a.connection, true, kT0 + 1s, h.out);
            REQUIRE(r.kind == ActionKind::SendToClient);
            CHECK(r.five_tuple == h.control.tuple);
            auto m = h.parse(r.size);
            CHECK(m.method() == Method::Connect);
            CHECK(m.message_class() == MessageClass::SuccessResponse);
            CHECK(m.transaction_id()[0] == h.txn); // answers the Connect request
            REQUIRE(m.get<stun::ConnectionId>());
            CHECK(m.get<stun::ConnectionId>()->id == a.connection);
            CHECK(m.verify_message_integrity(*stun::long_term_key_md5("alice", kRealm, "s3cret")));
            CHECK(m.has_fingerprint()); // the request had one
            // A second result for the same id is ignored.
            CHECK(h.server.handle_connect_result(a.connection, true, kT0 + 2s, h.out).kind ==
                  ActionKind::None);
            SUBCASE("the same peer again while the connection lives: 446") {
                CHECK(h.code(h.connect(h.control, "192.0.2.77:80")) == 446);
                CHECK(h.connect(h.control, "192.0.2.77:81").kind == ActionKind::ConnectToPeer);
            }
            SUBCASE("once closed, the peer may be connected again") {
                h.server.handle_connection_closed(a.connection);
                CHECK(h.connect(h.control, "192.0.2.77:80").kind == ActionKind::ConnectToPeer);
            }
        }
        SUBCASE("a Connect in progress to the same peer: 446") {
            REQUIRE(h.connect(h.control, "192.0.2.77:80").kind == ActionKind::ConnectToPeer);
            CHECK(h.code(h.connect(h.control, "192.0.2.77:80")) == 446);
        }
        SUBCASE("the shell fails to connect: 447") {
            auto a = h.connect(h.control, "192.0.2.77:80");
            auto r = h.server.handle_connect_result(a.connection, false, kT0 + 1s, h.out);
            REQUIRE(r.kind == ActionKind::SendToClient);
            auto m = h.parse(r.size);
            CHECK(m.message_class() == MessageClass::ErrorResponse);
            CHECK(m.get<stun::ErrorCode>()->code == 447);
            CHECK(m.verify_message_integrity(*stun::long_term_key_md5("alice", kRealm, "s3cret")));
            CHECK(h.server.tcp_connections().size() == 0);
            CHECK(h.server.counters().tcp_connect_failures == 1);
        }
        SUBCASE("no result within 30 s: the core abandons it and answers 447") {
            auto a = h.connect(h.control, "192.0.2.77:80");
            h.server.on_timer(kT0 + 29s);
            CHECK(h.relays.closed.empty());
            CHECK(h.server.take_timer_response(h.out).kind == ActionKind::None);
            h.server.on_timer(kT0 + 30s);
            CHECK(h.relays.closed == std::vector<ConnectionId>{a.connection});
            SUBCASE("answered through take_timer_response") {
                auto r = h.server.take_timer_response(h.out);
                REQUIRE(r.kind == ActionKind::SendToClient);
                CHECK(r.five_tuple == h.control.tuple);
                CHECK(h.parse(r.size).get<stun::ErrorCode>()->code == 447);
                CHECK(h.server.take_timer_response(h.out).kind == ActionKind::None);
                CHECK(h.server.tcp_connections().size() == 0);
                // A late result from the shell is ignored.
                CHECK(h.server.handle_connect_result(a.connection, true, kT0 + 31s, h.out).kind ==
                      ActionKind::None);
            }
            SUBCASE("a ConnectionBind for it before then: 447") {
                auto d = h.data_client();
                CHECK(h.code(h.connection_bind(d, a.connection, kT0 + 31s)) == 447);
            }
        }
        SUBCASE("more connections than the limit: 508") {
            CHECK(h.connect(h.control, "192.0.2.77:1").kind == ActionKind::ConnectToPeer);
            CHECK(h.connect(h.control, "192.0.2.77:2").kind == ActionKind::ConnectToPeer);
            CHECK(h.connect(h.control, "192.0.2.77:3").kind == ActionKind::ConnectToPeer);
            CHECK(h.code(h.connect(h.control, "192.0.2.77:4")) == 508);
        }
        SUBCASE("ChannelBind on a TCP allocation: 400; Send is dropped") {
            CHECK(h.code(h.send(h.control,
                                h.request(h.control, Method::ChannelBind, [](MessageBuilder& b) {
                                    b.add(stun::ChannelNumber{0x4000});
                                    b.add(stun::XorPeerAddress{ep("192.0.2.77:80")});
                                }))) == 400);
            REQUIRE(h.permit(h.control, "192.0.2.77:0") == 0);
            std::vector<uint8_t> buf(256);
            std::array<uint8_t, 3> data{1, 2, 3};
            MessageBuilder b(buf, Method::Send, MessageClass::Indication, stun::TransactionId{});
            b.add(stun::XorPeerAddress{ep("192.0.2.77:80")});
            b.add(stun::Data{data});
            buf.resize(b.size());
            CHECK(h.send(h.control, buf).kind == ActionKind::None);
            CHECK(h.server.handle_peer(1, ep("192.0.2.77:80"), data, kT0, h.out).kind ==
                  ActionKind::None);
        }
    }
}

TEST_CASE("turn::TurnServer RFC 6062 Connect to a forbidden peer: 403") {
    TcpHarness h(true, PeerFilterConfig{});
    REQUIRE(h.allocate(h.control, stun::RequestedTransport::kTcp) == 0);
    CHECK(h.code(h.connect(h.control, "127.0.0.1:80")) == 403);
    CHECK(h.server.tcp_connections().size() == 0);
}

TEST_CASE("turn::TurnServer RFC 6062 ConnectionBind") {
    TcpHarness h;
    REQUIRE(h.allocate(h.control, stun::RequestedTransport::kTcp) == 0);
    ConnectionId id = h.connected("192.0.2.77:80");
    auto d = h.data_client();
    SUBCASE("success with the control connection's nonce: BindConnection") {
        auto a = h.connection_bind(d, id, kT0 + 2s);
        REQUIRE(a.kind == ActionKind::BindConnection);
        CHECK(a.connection == id);
        auto m = h.parse(a.size);
        CHECK(m.method() == Method::ConnectionBind);
        CHECK(m.message_class() == MessageClass::SuccessResponse);
        CHECK(m.verify_message_integrity(*stun::long_term_key_md5("alice", kRealm, "s3cret")));
        CHECK(h.server.counters().tcp_connections_bound == 1);
        SUBCASE("a second ConnectionBind for it: 446") {
            auto e = h.data_client(40002);
            CHECK(h.code(h.connection_bind(e, id, kT0 + 3s)) == 446);
        }
        SUBCASE("bound connections do not time out") {
            h.server.on_timer(kT0 + 100s);
            CHECK(h.relays.closed.empty());
            CHECK(h.server.tcp_connections().size() == 1);
        }
        SUBCASE("they close with the allocation (Refresh 0)") {
            CHECK(h.code(h.send(h.control,
                                h.request(h.control, Method::Refresh, [](MessageBuilder& b) {
                                    b.add(stun::Lifetime{0});
                                }))) == 0);
            CHECK(h.relays.closed == std::vector<ConnectionId>{id});
            CHECK(h.server.tcp_connections().size() == 0);
        }
    }
    SUBCASE("over UDP: 400") {
        d.tuple.transport = stun::Transport::Udp;
        CHECK(h.code(h.connection_bind(d, id)) == 400);
    }
    SUBCASE("without CONNECTION-ID: 400") {
        // Without an id the control connection's nonce cannot be recognised: 438 first.
        CHECK(h.code(h.connection_bind(d, std::nullopt)) == 438);
        h.login(d);
        CHECK(h.code(h.connection_bind(d, std::nullopt)) == 400);
    }
    SUBCASE("an unknown id: 400") {
        h.login(d);
        CHECK(h.code(h.connection_bind(d, id + 1)) == 400);
    }
    SUBCASE("another user's id: 400") {
        d.user = "bob";
        d.password = "pw";
        CHECK(h.code(h.connection_bind(d, id)) == 400);
    }
    SUBCASE("on the control connection: 446") {
        CHECK(h.code(h.connection_bind(h.control, id)) == 446);
    }
    SUBCASE("a connection still connecting: 400") {
        auto a = h.connect(h.control, "192.0.2.78:80");
        REQUIRE(a.kind == ActionKind::ConnectToPeer);
        CHECK(h.code(h.connection_bind(d, a.connection)) == 400);
    }
    SUBCASE("not bound within 30 s: closed by the timer") {
        h.server.on_timer(kT0 + 30s);
        CHECK(h.relays.closed.empty());
        h.server.on_timer(kT0 + 31s);
        CHECK(h.relays.closed == std::vector<ConnectionId>{id});
        CHECK(h.server.counters().tcp_bind_timeouts == 1);
        h.login(d);
        CHECK(h.code(h.connection_bind(d, id, kT0 + 32s)) == 400);
    }
    SUBCASE("30 s passed but the timer has not run: 447") {
        CHECK(h.code(h.connection_bind(d, id, kT0 + 31s)) == 447);
        CHECK(h.relays.closed == std::vector<ConnectionId>{id});
    }
    SUBCASE("the control connection closes: allocation and connections go") {
        h.server.handle_client_closed(h.control.tuple);
        CHECK(h.server.table().size() == 0);
        CHECK(h.relays.released == std::vector<RelayId>{1});
        CHECK(h.relays.closed == std::vector<ConnectionId>{id});
    }
}

TEST_CASE("turn::TurnServer RFC 6062 inbound peer connections") {
    TcpHarness h;
    REQUIRE(h.allocate(h.control, stun::RequestedTransport::kTcp) == 0);
    SUBCASE("without a permission: refused") {
        auto r = h.server.handle_peer_connection(1, ep("192.0.2.90:5555"), kT0, h.out);
        CHECK(r.connection == 0);
        CHECK(r.send.kind == ActionKind::None);
        CHECK(h.server.counters().tcp_connections_refused == 1);
    }
    SUBCASE("on an unknown relay: refused") {
        CHECK(h.server.handle_peer_connection(9, ep("192.0.2.90:5555"), kT0, h.out).connection ==
              0);
    }
    SUBCASE("with a permission: ConnectionAttempt, then ConnectionBind") {
        REQUIRE(h.permit(h.control, "192.0.2.90:0") == 0);
        auto r = h.server.handle_peer_connection(1, ep("192.0.2.90:5555"), kT0, h.out);
        REQUIRE(r.connection != 0);
        REQUIRE(r.send.kind == ActionKind::SendToClient);
        CHECK(r.send.five_tuple == h.control.tuple);
        auto m = h.parse(r.send.size);
        CHECK(m.method() == Method::ConnectionAttempt);
        CHECK(m.message_class() == MessageClass::Indication);
        CHECK(m.get<stun::XorPeerAddress>()->endpoint == ep("192.0.2.90:5555"));
        CHECK(m.get<stun::ConnectionId>()->id == r.connection);
        auto d = h.data_client();
        CHECK(h.connection_bind(d, r.connection, kT0 + 5s).kind == ActionKind::BindConnection);
    }
    SUBCASE("beyond the per-allocation limit: refused") {
        REQUIRE(h.permit(h.control, "192.0.2.90:0") == 0);
        for (uint16_t port = 1; port <= 3; ++port) {
            util::Endpoint peer = ep("192.0.2.90:0");
            peer.port = port;
            CHECK(h.server.handle_peer_connection(1, peer, kT0, h.out).connection != 0);
        }
        CHECK(h.server.handle_peer_connection(1, ep("192.0.2.90:4"), kT0, h.out).connection == 0);
    }
}

TEST_CASE("turn::TcpConnectionTable ids, relays and deadlines") {
    TcpConnectionTable t(0x42);
    TcpConnection c;
    c.relay = 7;
    c.peer = ep("192.0.2.1:1");
    c.state = TcpConnectionState::Pending;
    c.deadline = kT0 + 30s;
    auto* a = t.add(c);
    REQUIRE(a);
    ConnectionId first = a->id;
    CHECK(connection_id_shard(first) == 0x42);
    c.peer.port = 2;
    c.deadline = Clock::time_point::max();
    c.state = TcpConnectionState::Bound;
    auto* b = t.add(c);
    REQUIRE(b);
    CHECK(b->id != first);
    ConnectionId second = b->id;
    CHECK(t.count_for_relay(7) == 2);
    CHECK(t.find_by_peer(7, ep("192.0.2.1:2")) != nullptr);
    CHECK(t.find_by_peer(8, ep("192.0.2.1:2")) == nullptr);
    REQUIRE(t.next_deadline());
    CHECK(*t.next_deadline() == kT0 + 30s);
    std::vector<ConnectionId> timed_out, closed;
    t.on_timer(kT0 + 30s, timed_out, closed);
    CHECK(closed == std::vector<ConnectionId>{first});
    CHECK(timed_out.empty());
    CHECK_FALSE(t.next_deadline()); // only a bound connection is left
    closed.clear();
    t.erase_relay(7, closed);
    CHECK(closed == std::vector<ConnectionId>{second});
    CHECK(t.size() == 0);
    CHECK(t.count_for_relay(7) == 0);
}
