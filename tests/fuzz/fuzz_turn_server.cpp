// libFuzzer target for the TURN server core, past authentication. Each input gets a fresh
// server; four clients (UDP, TCP, TLS, and a second TCP connection for RFC 6062 data) learn a
// nonce through the real 401 path, a UDP and a TCP allocation are made with MESSAGE-INTEGRITY
// computed by the STUN builder, then the input is read as a list of operations: the first
// byte of each picks one (Refresh, CreatePermission, ChannelBind, Send, ChannelData, peer
// datagram, timer, Connect, connect result, ConnectionBind, inbound peer connection, close,
// raw bytes, an authenticated request with fuzzed attributes, Allocate) and the next bytes fill
// its fields. After every operation the invariants are checked: answers parse and fit, answer
// the request's transaction, carry a valid MESSAGE-INTEGRITY when authenticated; no channel
// number or peer is bound twice; permissions, channels and connections stay within limits.
#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/credentials.hpp"
#include "stun/framing.hpp"
#include "turn/server.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

using namespace rtc;
using namespace rtc::turn;
using stun::MessageBuilder;
using stun::MessageClass;
using stun::Method;

namespace {

constexpr std::size_t kMaxOps = 64;

void check(bool condition) {
    if (!condition)
        std::abort();
}

class FakeRelays : public RelayAllocator {
public:
    std::optional<RelayGrant> allocate(const RelayRequest& request) override {
        if (next_ > 8)
            return std::nullopt; // exhaustion is a path too
        RelayId id = next_++;
        auto address = util::Endpoint{util::IpAddress::loopback(request.family),
                                      static_cast<uint16_t>(40000 + id)};
        return RelayGrant{{id, address},
                          request.reserve_next ? std::optional<uint64_t>(id) : std::nullopt};
    }
    void release(RelayId) override {}
    void close_connection(ConnectionId id) override { closed.push_back(id); }
    std::vector<ConnectionId> closed;

private:
    RelayId next_ = 1;
};

// Reads the operation bytes; past the end everything is zero.
struct Reader {
    std::span<const uint8_t> data;
    std::size_t at = 0;
    bool done() const { return at >= data.size(); }
    uint8_t u8() { return at < data.size() ? data[at++] : 0; }
    uint16_t u16() { return static_cast<uint16_t>(u8() << 8 | u8()); }
    uint32_t u32() { return static_cast<uint32_t>(u16()) << 16 | u16(); }
    std::span<const uint8_t> bytes(std::size_t n) {
        n = std::min(n, data.size() - std::min(at, data.size()));
        auto s = data.subspan(std::min(at, data.size()), n);
        at += n;
        return s;
    }
};

struct Client {
    FiveTuple tuple;
    std::string nonce;
};

struct World {
    FakeRelays relays;
    stun::BindingServer binding{stun::BindingServerConfig{}};
    std::unique_ptr<TurnServer> server;
    std::array<Client, 4> clients{
        Client{{*util::Endpoint::parse("127.0.0.1:5000"), *util::Endpoint::parse("127.0.0.1:3478"),
                stun::Transport::Udp},
               {}},
        Client{{*util::Endpoint::parse("127.0.0.1:5001"), *util::Endpoint::parse("127.0.0.1:3478"),
                stun::Transport::Tcp},
               {}},
        Client{{*util::Endpoint::parse("[::1]:5002"), *util::Endpoint::parse("[::1]:5349"),
                stun::Transport::Tls},
               {}},
        Client{{*util::Endpoint::parse("127.0.0.1:5003"), *util::Endpoint::parse("127.0.0.1:3478"),
                stun::Transport::Tcp},
               {}},
    };
    std::array<uint8_t, 1024> key_bytes{};
    std::span<const uint8_t> key;
    Clock::time_point now{std::chrono::seconds(1000)};
    std::chrono::system_clock::time_point wall{std::chrono::seconds(1700000000)};
    std::array<uint8_t, 4096> out{};
    std::vector<ConnectionId> ids; // connection ids seen, for later operations
    uint32_t txn = 0;
    TurnServerConfig config;

    World() {
        config.nonce_key.fill(1);
        config.ipv6_relay = true;
        config.tcp_relay = true;
        config.unauthorized_rate.capacity = 64; // a fresh server per input: keep it small
        config.bandwidth_bytes_per_second = 1e5;
        config.limits.max_allocations = 6;
        config.limits.max_permissions_per_allocation = 4;
        config.limits.max_channels_per_allocation = 4;
        config.limits.max_connections_per_allocation = 4;
        auto users = UserStore::build("r", {{"u", "p"}, {"v", "q"}});
        auto creds = std::make_shared<CredentialStore>(CredentialConfig{"r", users.store, {"s"}});
        server = std::make_unique<TurnServer>(config, creds, PeerFilter({{}, {}, true}), binding,
                                              relays);
        static const auto md5 = stun::long_term_key_md5("u", "r", "p");
        key = *md5;
    }

    stun::TransactionId next_id() {
        stun::TransactionId id{};
        uint32_t n = ++txn;
        for (std::size_t i = 0; i < 4; ++i)
            id[i] = static_cast<uint8_t>(n >> (8 * i));
        return id;
    }

    // Checks an answer to a request and learns a fresh nonce from 401/438.
    void answered(Client& c, const ClientAction& a, const stun::TransactionId& id,
                  bool authenticated) {
        if (a.kind != ActionKind::SendToClient && a.kind != ActionKind::BindConnection)
            return;
        check(a.size > 0 && a.size <= out.size());
        auto m = stun::MessageView::parse(std::span<const uint8_t>(out).first(a.size));
        check(m.has_value());
        check(m->transaction_id() == id);
        check(m->message_class() == MessageClass::SuccessResponse ||
              m->message_class() == MessageClass::ErrorResponse);
        auto code = m->get<stun::ErrorCode>();
        bool challenge = code && (code->code == 401 || code->code == 438);
        if (challenge) {
            auto n = m->get<stun::Nonce>();
            check(n.has_value());
            c.nonce = std::string(n->value);
        } else if (authenticated && m->message_class() == MessageClass::SuccessResponse) {
            check(m->has_message_integrity());
        }
        // Whatever carries MESSAGE-INTEGRITY was authenticated with the user's key (a 400 for
        // a malformed request may come before authentication, without it).
        if (m->has_message_integrity())
            check(m->verify_message_integrity(key));
        check((a.kind == ActionKind::BindConnection) ==
              (m->method() == Method::ConnectionBind &&
               m->message_class() == MessageClass::SuccessResponse));
    }

    // An authenticated request from client `c`: `fill` adds the method's attributes.
    template <class F> ClientAction request(Client& c, Method method, F&& fill) {
        std::array<uint8_t, 1500> buf;
        auto id = next_id();
        MessageBuilder b(buf, method, MessageClass::Request, id);
        fill(b);
        bool authenticated = !c.nonce.empty();
        if (authenticated) {
            b.add(stun::Username{"u"});
            b.add(stun::Realm{"r"});
            b.add(stun::Nonce{c.nonce});
            b.add_message_integrity(key);
        }
        if (!b.ok())
            return {};
        auto a = server->handle_client(b.bytes(), ClientContext{c.tuple}, now, wall, out);
        answered(c, a, id, authenticated);
        return a;
    }

    util::Endpoint peer(Reader& r) {
        uint8_t pick = r.u8();
        util::Endpoint e;
        if (pick & 0x80) {
            std::array<uint8_t, 16> v6{};
            v6[15] = static_cast<uint8_t>(1 + (pick & 1)); // ::1, ::2
            e.address = util::IpAddress::v6(v6);
        } else {
            e.address = util::IpAddress::v4(0x7F000001u + (pick & 3)); // 127.0.0.1-4
        }
        e.port = static_cast<uint16_t>(r.u8() & 7);
        return e;
    }

    Client& client(Reader& r) { return clients[r.u8() & 3]; }

    void op(Reader& r);
    void invariants() const;
};

void World::op(Reader& r) {
    uint8_t code = r.u8();
    switch (code % 16) {
    case 0: { // Refresh
        Client& c = client(r);
        uint8_t l = r.u8();
        request(c, Method::Refresh, [&](MessageBuilder& b) {
            if (l & 1)
                b.add(stun::Lifetime{l == 1 ? 0u : static_cast<uint32_t>(l) * 30});
        });
        break;
    }
    case 1: { // CreatePermission with 0-3 peers
        Client& c = client(r);
        std::array<util::Endpoint, 3> peers;
        std::size_t n = r.u8() % 4;
        for (std::size_t i = 0; i < n; ++i)
            peers[i] = peer(r);
        request(c, Method::CreatePermission, [&](MessageBuilder& b) {
            for (std::size_t i = 0; i < n; ++i)
                b.add(stun::XorPeerAddress{peers[i]});
        });
        break;
    }
    case 2: { // ChannelBind
        Client& c = client(r);
        uint16_t number = static_cast<uint16_t>(0x4000 + (r.u8() & 7) + ((code & 0x80) << 8));
        auto p = peer(r);
        request(c, Method::ChannelBind, [&](MessageBuilder& b) {
            b.add(stun::ChannelNumber{number});
            b.add(stun::XorPeerAddress{p});
        });
        break;
    }
    case 3: { // Send indication
        Client& c = client(r);
        auto p = peer(r);
        auto data = r.bytes(r.u8() % 64);
        std::array<uint8_t, 256> buf;
        MessageBuilder b(buf, Method::Send, MessageClass::Indication, next_id());
        b.add(stun::XorPeerAddress{p});
        b.add(stun::Data{data});
        if (code & 0x40)
            b.add(stun::DontFragment{});
        if (!b.ok())
            break;
        auto bytes = b.bytes();
        auto a = server->handle_client(bytes, ClientContext{c.tuple}, now, wall, out);
        check(a.kind == ActionKind::None || a.kind == ActionKind::SendToPeer);
        if (a.kind == ActionKind::SendToPeer)
            check(a.payload.size() == data.size() && a.peer == p);
        break;
    }
    case 4: { // ChannelData (the length field may lie)
        Client& c = client(r);
        std::array<uint8_t, 128> buf{};
        uint16_t number = static_cast<uint16_t>(0x4000 + (r.u8() & 7));
        uint8_t length = r.u8() % 100;
        auto data = r.bytes(r.u8() % 100);
        util::store_u16(buf.data(), number);
        util::store_u16(buf.data() + 2, length);
        std::copy(data.begin(), data.end(), buf.begin() + 4);
        std::span<const uint8_t> bytes(buf.data(), 4 + data.size());
        auto a = server->handle_client(bytes, ClientContext{c.tuple}, now, wall, out);
        check(a.kind == ActionKind::None || a.kind == ActionKind::SendToPeer);
        if (a.kind == ActionKind::SendToPeer)
            check(a.payload.data() == bytes.data() + 4 && a.payload.size() == length &&
                  length <= data.size());
        break;
    }
    case 5: { // a datagram from a peer on a relay
        RelayId relay = 1 + r.u8() % 4;
        auto p = peer(r);
        auto data = r.bytes(r.u8());
        auto a = server->handle_peer(relay, p, data, now, out);
        if (a.kind == ActionKind::SendToClient) {
            check(a.size <= out.size() && a.size >= data.size() + 4);
            if (!stun::is_channel_data(std::span<const uint8_t>(out).first(a.size))) {
                auto m = stun::MessageView::parse(std::span<const uint8_t>(out).first(a.size));
                check(m && m->method() == Method::Data);
            }
        }
        break;
    }
    case 6: { // time passes
        now += std::chrono::seconds(r.u8()) * (code & 0x80 ? 10 : 1);
        server->on_timer(now);
        for (std::size_t i = 0; i < 16; ++i) {
            auto a = server->take_timer_response(out);
            if (a.kind == ActionKind::None)
                break;
            auto m = stun::MessageView::parse(std::span<const uint8_t>(out).first(a.size));
            check(m && m->method() == Method::Connect && m->get<stun::ErrorCode>() &&
                  m->get<stun::ErrorCode>()->code == 447);
        }
        if (auto d = server->next_deadline())
            check(*d > now); // on_timer left no work behind
        break;
    }
    case 7: { // Connect
        Client& c = client(r);
        auto p = peer(r);
        auto a =
            request(c, Method::Connect, [&](MessageBuilder& b) { b.add(stun::XorPeerAddress{p}); });
        if (a.kind == ActionKind::ConnectToPeer) {
            check(a.peer == p && a.connection != 0);
            ids.push_back(a.connection);
        }
        break;
    }
    case 8: { // the shell reports a connect outcome (or a stale one)
        if (ids.empty())
            break;
        ConnectionId id = ids[r.u8() % ids.size()];
        auto a = server->handle_connect_result(id, code & 0x80, now, out);
        if (a.kind == ActionKind::SendToClient) {
            auto m = stun::MessageView::parse(std::span<const uint8_t>(out).first(a.size));
            check(m && m->method() == Method::Connect && m->verify_message_integrity(key));
        }
        break;
    }
    case 9: { // ConnectionBind, on any client, for a known or made-up id
        Client& c = client(r);
        ConnectionId id = ids.empty() || (code & 0x80) ? r.u32() : ids[r.u8() % ids.size()];
        auto a = request(c, Method::ConnectionBind,
                         [&](MessageBuilder& b) { b.add(stun::ConnectionId{id}); });
        if (a.kind == ActionKind::BindConnection)
            check(a.connection == id);
        break;
    }
    case 10: { // an inbound TCP connection on a relay
        RelayId relay = 1 + r.u8() % 4;
        auto p = peer(r);
        auto a = server->handle_peer_connection(relay, p, now, out);
        if (a.connection != 0) {
            check(a.send.kind == ActionKind::SendToClient);
            auto m = stun::MessageView::parse(std::span<const uint8_t>(out).first(a.send.size));
            check(m && m->method() == Method::ConnectionAttempt &&
                  m->get<stun::ConnectionId>()->id == a.connection);
            ids.push_back(a.connection);
        } else {
            check(a.send.kind == ActionKind::None);
        }
        break;
    }
    case 11: { // a connection closes
        if (code & 0x80)
            server->handle_client_closed(client(r).tuple);
        else if (!ids.empty())
            server->handle_connection_closed(ids[r.u8() % ids.size()]);
        break;
    }
    case 12: { // raw bytes from a client
        Client& c = client(r);
        auto bytes = r.bytes(r.u8());
        auto a = server->handle_client(bytes, ClientContext{c.tuple}, now, wall, out);
        if (a.kind == ActionKind::SendToClient)
            check(a.size > 0 && a.size <= out.size());
        if (a.kind == ActionKind::SendToPeer)
            check(a.payload.data() >= bytes.data() &&
                  a.payload.data() + a.payload.size() <= bytes.data() + bytes.size());
        break;
    }
    case 13: { // an authenticated request with fuzzed attributes
        Client& c = client(r);
        auto method = static_cast<Method>(1 + r.u8() % 12);
        std::size_t count = r.u8() % 6;
        std::array<uint8_t, 1500> buf;
        auto id = next_id();
        MessageBuilder b(buf, method, MessageClass::Request, id);
        for (std::size_t i = 0; i < count; ++i) {
            uint16_t type = r.u16();
            b.add_raw(type, r.bytes(r.u8() % 40));
        }
        bool authenticated = !c.nonce.empty() && !(code & 0x80);
        if (authenticated) {
            b.add(stun::Username{"u"});
            b.add(stun::Realm{"r"});
            b.add(stun::Nonce{c.nonce});
            b.add_message_integrity(key);
        }
        if (!b.ok())
            break;
        auto a = server->handle_client(b.bytes(), ClientContext{c.tuple}, now, wall, out);
        if (method != Method::Binding)
            answered(c, a, id, authenticated);
        if (a.kind == ActionKind::ConnectToPeer)
            ids.push_back(a.connection);
        break;
    }
    default: { // Allocate with a few options
        Client& c = client(r);
        uint8_t flags = r.u8();
        request(c, Method::Allocate, [&](MessageBuilder& b) {
            b.add(stun::RequestedTransport{flags & 1 ? stun::RequestedTransport::kTcp
                                                     : stun::RequestedTransport::kUdp});
            if (flags & 2)
                b.add(stun::RequestedAddressFamily{static_cast<uint8_t>(1 + (flags >> 7))});
            if (flags & 4)
                b.add(stun::AdditionalAddressFamily{stun::kFamilyIpv6});
            if (flags & 8)
                b.add(stun::EvenPort{(flags & 16) != 0});
            if (flags & 32)
                b.add(stun::Lifetime{static_cast<uint32_t>(flags) * 10});
            if (flags & 64)
                b.add(stun::DontFragment{});
        });
        break;
    }
    }
}

void World::invariants() const {
    const auto& limits = config.limits;
    check(server->allocation_count() <= limits.max_allocations);
    check(server->tcp_connections().size() <=
          server->allocation_count() * limits.max_connections_per_allocation);
    for (const auto& c : clients) {
        const Allocation* a = server->table().find(c.tuple);
        if (!a)
            continue;
        check(a->relay_count >= 1 && a->relay_count <= 2);
        check(a->permissions.size() <= limits.max_permissions_per_allocation);
        check(a->channels.size() <= limits.max_channels_per_allocation);
        for (std::size_t i = 0; i < a->permissions.size(); ++i)
            for (std::size_t j = i + 1; j < a->permissions.size(); ++j)
                check(!(a->permissions[i].peer == a->permissions[j].peer));
        // RFC 8656 §12: a number and a peer are bound at most once (reservations included).
        for (std::size_t i = 0; i < a->channels.size(); ++i) {
            const auto& x = a->channels[i];
            check(stun::ChannelNumber::in_range(x.number) && x.expiry <= x.reserved_until);
            for (std::size_t j = i + 1; j < a->channels.size(); ++j) {
                const auto& y = a->channels[j];
                check(x.number != y.number && !(x.peer == y.peer));
            }
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    World w;
    // The real login path: 401 for a nonce on every client, then a UDP and a TCP allocation.
    for (auto& c : w.clients)
        w.request(c, Method::Allocate, [](MessageBuilder&) {});
    for (const auto& c : w.clients)
        check(!c.nonce.empty());
    auto udp = w.request(w.clients[0], Method::Allocate,
                         [](MessageBuilder& b) { b.add(stun::RequestedTransport{}); });
    auto tcp = w.request(w.clients[1], Method::Allocate, [](MessageBuilder& b) {
        b.add(stun::RequestedTransport{stun::RequestedTransport::kTcp});
    });
    check(udp.kind == ActionKind::SendToClient && udp.error_code == 0);
    check(tcp.kind == ActionKind::SendToClient && tcp.error_code == 0);
    check(w.server->allocation_count() == 2);

    Reader r{std::span<const uint8_t>(data, size)};
    for (std::size_t i = 0; i < kMaxOps && !r.done(); ++i) {
        w.op(r);
        w.invariants();
    }
    return 0;
}
