#pragma once
// A simulated network for the NAT probe's unit tests: one client host behind a NAT with a
// chosen mapping and filtering behaviour (RFC 4787), STUN servers built on stun::BindingServer
// (well-behaved, or misbehaving in the ways that fool other tools), a virtual clock and 1 ms
// links. NatSim::run drives a NatProbe to its verdict without any real socket or sleep.
#include "probe/nat_probe.hpp"
#include "stun/binding_server.hpp"
#include "stun/message.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

namespace rtc::probe::test {

inline util::Endpoint ep(const char* text) {
    auto e = util::Endpoint::parse(text);
    REQUIRE(e.has_value());
    return *e;
}
inline util::IpAddress ip(const char* text) {
    auto a = util::IpAddress::parse(text);
    REQUIRE(a.has_value());
    return *a;
}

struct NatKind {
    bool present = true; // false: the client has a public address
    Behaviour mapping = Behaviour::EndpointIndependent;
    Behaviour filtering = Behaviour::EndpointIndependent;
    bool hairpin = false;
    bool blocked = false;                          // drops every outbound UDP packet
    std::optional<std::chrono::milliseconds> idle; // binding lifetime; none: forever
};

enum class ServerKind {
    Rfc5780,              // two addresses, two ports, honours CHANGE-REQUEST
    SingleAddress,        // no OTHER-ADDRESS; CHANGE-REQUEST gets 420 (RFC 5780 §6.1)
    IgnoresChangeRequest, // advertises OTHER-ADDRESS but answers from where it was asked
    BadOtherAddress,      // advertises an OTHER-ADDRESS that is not its own
    SilentOnChange,       // drops requests carrying CHANGE-REQUEST
};

class NatSim {
public:
    using Clock = probe::Clock;
    static constexpr std::chrono::milliseconds kLink{1}; // one-way delay of every hop

    // Addresses of the simulated world.
    util::IpAddress client_ip = ip("10.0.0.2");
    util::IpAddress public_ip = ip("203.0.113.5");
    util::Endpoint a1p1 = ep("198.51.100.10:3478");
    util::Endpoint a1p2 = ep("198.51.100.10:3479");
    util::Endpoint a2p1 = ep("198.51.100.20:3478");
    util::Endpoint a2p2 = ep("198.51.100.20:3479");
    util::Endpoint bogus_other = ep("198.51.100.99:3479");
    util::Endpoint plain_server = ep("198.51.100.30:3478"); // a second, ordinary STUN server
    util::Endpoint plain_server2 = ep("198.51.100.40:3478");

    NatSim(NatKind nat, ServerKind server) : nat_(nat), kind_(server) {
        stun::BindingServerConfig c;
        if (server != ServerKind::SingleAddress) {
            auto alt = server == ServerKind::BadOtherAddress ? bogus_other.address : a2p1.address;
            c.rfc5780 = std::array<util::Endpoint, 4>{a1p1, a1p2, util::Endpoint{alt, a1p1.port},
                                                      util::Endpoint{alt, a1p2.port}};
        }
        c.software = "sim";
        rfc5780_ = std::make_unique<stun::BindingServer>(c);
        plain_ = std::make_unique<stun::BindingServer>(stun::BindingServerConfig{});
    }

    bool ignore_response_port = false; // the server does not redirect (RESPONSE-PORT)

    NatProbeConfig config() const {
        NatProbeConfig c;
        c.server = a1p1;
        c.software = "rtc-probe test";
        c.random = [n = std::make_shared<uint32_t>(0)](std::span<uint8_t> out) {
            for (auto& b : out)
                b = static_cast<uint8_t>(++*n * 37);
            // Unique ids: the counter in the last four bytes.
            const uint32_t v = ++*n;
            for (std::size_t i = 0; i < 4 && i < out.size(); ++i)
                out[out.size() - 1 - i] = static_cast<uint8_t>(v >> (8 * i));
        };
        return c;
    }

    // Runs the probe to the end; returns the report. `elapsed` is the simulated time taken.
    NatReport run(const NatProbeConfig& config) {
        const auto start = now_;
        NatProbe probe(config, now_);
        for (int step = 0; step < 200000; ++step) {
            while (auto c = probe.next_command())
                command(probe, *c);
            if (probe.done()) {
                elapsed = now_ - start;
                return probe.report();
            }
            auto deadline = probe.next_deadline();
            if (!packets_.empty() && (!deadline || packets_.front().at <= *deadline)) {
                auto p = std::move(packets_.front());
                packets_.pop_front();
                now_ = std::max(now_, p.at);
                arrive(probe, p);
            } else {
                REQUIRE(deadline.has_value());
                now_ = std::max(now_, *deadline);
                probe.on_timer(now_);
            }
        }
        FAIL("the probe did not finish");
        return {};
    }

    Clock::duration elapsed{};
    // Every destination each client socket sent to (the tests' independence is checked on it).
    std::map<SocketId, std::set<util::Endpoint>> sent_to;

private:
    struct Packet {
        Clock::time_point at;
        util::Endpoint from;
        util::Endpoint to;
        std::vector<uint8_t> bytes;
    };
    struct Binding {
        util::Endpoint internal;
        uint16_t port = 0;
        Clock::time_point last{};
        std::set<util::Endpoint> permitted;
    };

    void command(NatProbe& probe, const NatCommand& c) {
        if (c.kind == CommandKind::Open) {
            sockets_[c.socket] = {client_ip, static_cast<uint16_t>(40000 + c.socket)};
            probe.on_opened(c.socket, sockets_[c.socket]);
        } else if (c.kind == CommandKind::Close) {
            sockets_.erase(c.socket);
        } else if (sockets_.count(c.socket)) {
            sent_to[c.socket].insert(c.to);
            send_out(sockets_[c.socket], c.to, {c.bytes.begin(), c.bytes.end()});
        }
    }

    // The NAT's outbound side (RFC 4787 §4.1 mapping).
    void send_out(const util::Endpoint& internal, const util::Endpoint& to,
                  std::vector<uint8_t> bytes) {
        if (nat_.blocked)
            return;
        util::Endpoint from = internal;
        if (nat_.present) {
            if (to.address == public_ip && !nat_.hairpin)
                return;
            Binding& b = binding_for(internal, to);
            b.last = now_;
            b.permitted.insert(to);
            from = {public_ip, b.port};
        }
        queue({now_ + kLink, from, to, std::move(bytes)});
    }

    Binding& binding_for(const util::Endpoint& internal, const util::Endpoint& to) {
        std::string key = internal.to_string();
        if (nat_.mapping != Behaviour::EndpointIndependent)
            key += "|" + to.address.to_string();
        if (nat_.mapping == Behaviour::AddressAndPortDependent)
            key += "|" + std::to_string(to.port);
        auto it = bindings_.find(key);
        if (it != bindings_.end() && expired(it->second)) {
            by_port_.erase(it->second.port);
            bindings_.erase(it);
            it = bindings_.end();
        }
        if (it == bindings_.end()) {
            Binding b;
            b.internal = internal;
            b.port = next_port_++;
            it = bindings_.emplace(key, b).first;
            by_port_[b.port] = key;
        }
        return it->second;
    }

    bool expired(const Binding& b) const { return nat_.idle && now_ - b.last > *nat_.idle; }

    void queue(Packet p) {
        auto pos = std::upper_bound(packets_.begin(), packets_.end(), p.at,
                                    [](auto t, const Packet& q) { return t < q.at; });
        packets_.insert(pos, std::move(p));
    }

    void arrive(NatProbe& probe, const Packet& p) {
        if (nat_.present && p.to.address == public_ip)
            return inbound(probe, p);
        if (!nat_.present && p.to.address == client_ip)
            return deliver(probe, p.to, p);
        serve(p);
    }

    // The NAT's inbound side (RFC 4787 §5 filtering).
    void inbound(NatProbe& probe, const Packet& p) {
        auto key = by_port_.find(p.to.port);
        if (key == by_port_.end())
            return;
        Binding& b = bindings_[key->second];
        if (expired(b))
            return;
        bool allowed = nat_.filtering == Behaviour::EndpointIndependent;
        for (const auto& e : b.permitted) {
            if (nat_.filtering == Behaviour::AddressDependent && e.address == p.from.address)
                allowed = true;
            if (nat_.filtering == Behaviour::AddressAndPortDependent && e == p.from)
                allowed = true;
        }
        if (!allowed)
            return;
        b.last = now_; // inbound traffic refreshes the binding, as Linux conntrack does
        deliver(probe, b.internal, p);
    }

    void deliver(NatProbe& probe, const util::Endpoint& to, const Packet& p) {
        for (const auto& [id, local] : sockets_)
            if (local == to)
                return probe.on_datagram(id, p.from, p.bytes, now_);
    }

    // The servers: the RFC 5780 one on A1/A2 x P1/P2, ordinary ones on plain_server(2).
    void serve(const Packet& p) {
        const std::array<util::Endpoint, 4> real = {a1p1, a1p2, a2p1, a2p2};
        const stun::BindingServer* server = nullptr;
        uint8_t index = 0;
        if (p.to == plain_server || p.to == plain_server2) {
            server = plain_.get();
        } else if (kind_ == ServerKind::SingleAddress) {
            if (p.to == a1p1)
                server = rfc5780_.get();
        } else {
            for (uint8_t i = 0; i < 4; ++i)
                if (p.to == real[i]) {
                    server = rfc5780_.get();
                    index = i;
                }
        }
        if (!server)
            return;
        if (kind_ == ServerKind::SilentOnChange && server == rfc5780_.get()) {
            auto m = stun::MessageView::parse(p.bytes);
            if (m && m->has(stun::attr::kChangeRequest))
                return;
        }
        stun::BindingRequest r;
        r.bytes = p.bytes;
        r.source = p.from;
        r.local = p.to;
        r.local_index = index;
        std::vector<uint8_t> out(1500);
        auto o = server->handle(r, out);
        if (o.size == 0)
            return;
        out.resize(o.size);
        uint8_t from = o.send_from;
        if (kind_ == ServerKind::IgnoresChangeRequest)
            from = index;
        auto to = o.destination;
        if (ignore_response_port)
            to = p.from;
        const auto source = server == plain_.get() ? p.to : real[from];
        queue({now_ + kLink, source, to, std::move(out)});
    }

    NatKind nat_;
    ServerKind kind_;
    std::unique_ptr<stun::BindingServer> rfc5780_;
    std::unique_ptr<stun::BindingServer> plain_;
    Clock::time_point now_{std::chrono::hours(1)};
    std::deque<Packet> packets_;
    std::map<SocketId, util::Endpoint> sockets_;
    std::map<std::string, Binding> bindings_;
    std::map<uint16_t, std::string> by_port_;
    uint16_t next_port_ = 50000;
};

} // namespace rtc::probe::test
