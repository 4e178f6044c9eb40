#include "turn_probe.hpp"

#include "crypto/random.hpp"
#include "stun/framing.hpp"
#include "stun/message.hpp"

#include <asio/io_context.hpp>

#include <algorithm>
#include <vector>

namespace rtc::probe_tool {

namespace {

using probe::Clock;
using probe::TimePoint;
using probe::TurnFailure;
using probe::TurnRequestKind;

constexpr uint16_t kChannel = 0x4000; // RFC 8656 §12: the first channel number
// Bounds the number of handler runs of one wait, whatever the peer sends.
constexpr unsigned kMaxHandlerRuns = 1'000'000;

std::string seconds(std::chrono::milliseconds d) {
    const auto ms = d.count();
    return ms % 1000 == 0 ? std::to_string(ms / 1000) + "s" : std::to_string(ms) + "ms";
}

bool is_loopback(const util::IpAddress& a) {
    return a.is_v4() ? a.to_string().rfind("127.", 0) == 0
                     : a == util::IpAddress::loopback(util::Family::V6);
}

class Probe {
public:
    explicit Probe(const TurnProbeSettings& s) : s_(s), ping_(s.count, s.size) {}

    TurnReport run() {
        for (int i = 0; i < 2; ++i) {
            conns_[i] = TurnConnection::open(
                io_, s_.transport, s_.server, s_.tls, s_.server_name,
                [this, i](std::span<const uint8_t> frame) { on_frame(i, frame); });
            clients_[i].emplace(
                s_.credentials,
                probe::policy_for_timeout(s_.timeout, s_.transport != TurnTransport::Udp),
                s_.software, [] {
                    stun::TransactionId id{};
                    crypto::random_bytes(id);
                    return id;
                });
        }
        if (connect() && allocate(0, "first") && allocate(1, "second") &&
            permit(0, 1, TurnRequestKind::CreatePermission) &&
            permit(1, 0, TurnRequestKind::CreatePermission) &&
            permit(0, 1, TurnRequestKind::ChannelBind))
            relay();
        release();
        report_.sent = ping_.sent();
        report_.received = ping_.received();
        report_.loss_percent = ping_.loss_percent();
        report_.rtt = ping_.rtt();
        for (auto& c : conns_)
            c->close();
        return report_;
    }

private:
    void fail(std::string code, std::string error) {
        if (!report_.code.empty())
            return;
        report_.code = std::move(code);
        report_.error = std::move(error);
    }

    // Runs handlers until `done()` or `deadline`.
    template <class Done> void wait_until(TimePoint deadline, Done done) {
        for (unsigned runs = 0; runs < kMaxHandlerRuns && !done() && Clock::now() < deadline;
             ++runs) {
            if (io_.stopped())
                io_.restart();
            io_.run_one_until(deadline);
        }
    }

    bool connect() {
        const auto deadline = Clock::now() + s_.timeout;
        auto settled = [this] {
            return (conns_[0]->ready() || conns_[0]->failed()) &&
                   (conns_[1]->ready() || conns_[1]->failed());
        };
        wait_until(deadline, settled);
        for (int i = 0; i < 2; ++i) {
            auto& c = *conns_[i];
            if (c.failed()) {
                if (c.tls_failed())
                    fail("tls_handshake", c.error() +
                                              " (use --ca FILE for a private CA, or --insecure "
                                              "for a test server)");
                else
                    fail("connect", c.error());
                return false;
            }
            if (!c.ready()) {
                if (s_.transport == TurnTransport::Tls)
                    fail("timeout", "TLS handshake not done within " + seconds(s_.timeout));
                else
                    fail("timeout", "cannot connect within " + seconds(s_.timeout) +
                                        " (is TCP to " + s_.server.to_string() + " blocked?)");
                return false;
            }
            report_.local[i] = c.local();
        }
        return true;
    }

    // One request on allocation i, to its end; false (with the failure reported) if it failed.
    bool transact(int i, const probe::TurnRequestSpec& spec) {
        auto& client = *clients_[i];
        auto& conn = *conns_[i];
        client.start(spec, Clock::now());
        for (unsigned rounds = 0; rounds < kMaxHandlerRuns; ++rounds) {
            const auto now = Clock::now();
            if (auto bytes = client.poll(now); !bytes.empty())
                conn.send(bytes);
            if (client.finished(now) || conn.failed())
                break;
            const auto deadline = client.next_deadline().value_or(now);
            if (io_.stopped())
                io_.restart();
            io_.run_one_until(deadline);
        }
        if (!client.realm().empty())
            report_.realm = client.realm();
        return client.succeeded();
    }

    std::string step_name(int i, TurnRequestKind kind) const {
        return std::string(probe::to_string(kind)) +
               (i == 0 ? " (first allocation)" : " (second allocation)");
    }

    // Explains a failed request in one line.
    void explain(int i, TurnRequestKind kind, const util::Endpoint* peer) {
        const auto& client = *clients_[i];
        const auto& conn = *conns_[i];
        const std::string step = step_name(i, kind);
        const std::string server_says =
            client.error_reason().empty() ? std::string() : " (\"" + client.error_reason() + "\")";
        const std::string code_text = std::to_string(client.error_code());
        if (conn.failed() && client.failure() == TurnFailure::None)
            return fail("connection_closed", step + ": " + conn.error());
        switch (client.failure()) {
        case TurnFailure::None:
            return fail("timeout", step + ": no answer within " + seconds(s_.timeout));
        case TurnFailure::Timeout:
            return fail("timeout", "no answer to " + step + " within " + seconds(s_.timeout) +
                                       " (" + std::to_string(client.requests_sent()) +
                                       " requests sent)" +
                                       (s_.transport == TurnTransport::Udp
                                            ? ": is UDP to " + s_.server.to_string() + " blocked?"
                                            : ""));
        case TurnFailure::RealmMismatch:
            return fail("realm_mismatch", "realm mismatch: server says \"" + client.realm() +
                                              "\", expected \"" + s_.credentials.expected_realm +
                                              "\" (--realm)");
        case TurnFailure::WrongCredentials:
            if (s_.rest)
                return fail("wrong_credentials",
                            "401 Unauthorized after sending credentials: the server does not "
                            "accept the REST credentials (wrong --auth-secret, or the clocks "
                            "differ)");
            return fail("wrong_credentials",
                        "401 Unauthorized after sending credentials: wrong password for user \"" +
                            s_.credentials.username + "\" in realm \"" + client.realm() + "\"");
        case TurnFailure::Forbidden:
            if (peer) {
                const bool loopback = is_loopback(peer->address);
                return fail("forbidden",
                            "403 Forbidden on " + step + ": the server refuses to relay to the " +
                                "other allocation's address " + peer->to_string() +
                                (loopback ? " (loopback); allow it with rtc-turn "
                                            "--allow-loopback-peers (coturn: "
                                            "--allow-loopback-peers)"
                                          : "; allow it with rtc-turn --allow-peer RANGE "
                                            "(coturn: --allowed-peer-ip=RANGE)"));
            }
            return fail("forbidden", "403 Forbidden on " + step + server_says +
                                         ": the server refuses this client or user");
        case TurnFailure::AllocationMismatch:
            return fail("allocation_mismatch",
                        "437 Allocation Mismatch on " + step +
                            ": the server has no matching allocation for this connection (a "
                            "leftover from an earlier run, or the server lost it)");
        case TurnFailure::AllocationQuota:
            return fail("allocation_quota",
                        "486 Allocation Quota Reached on " + step + ": user \"" +
                            s_.credentials.username +
                            "\" may not hold the two allocations the probe needs (raise "
                            "rtc-turn --max-allocations-per-user, coturn --user-quota)");
        case TurnFailure::InsufficientCapacity:
            return fail("insufficient_capacity",
                        "508 Insufficient Capacity on " + step +
                            ": the server has no relay port or allocation left (rtc-turn "
                            "--port-range/--max-allocations, coturn --min-port/--max-port/"
                            "--total-quota)");
        case TurnFailure::ErrorResponse:
            return fail("error_response", "error " + code_text + server_says + " on " + step);
        case TurnFailure::BadResponse:
            return fail("bad_response", step + ": " + client.error_reason());
        }
    }

    bool allocate(int i, const char*) {
        probe::TurnRequestSpec spec;
        spec.kind = TurnRequestKind::Allocate;
        if (!transact(i, spec)) {
            explain(i, spec.kind, nullptr);
            return false;
        }
        allocated_[i] = true;
        report_.relayed[i] = clients_[i]->relayed();
        report_.mapped[i] = clients_[i]->mapped();
        if (i == 0)
            report_.lifetime = clients_[i]->lifetime();
        return true;
    }

    bool permit(int i, int other, TurnRequestKind kind) {
        probe::TurnRequestSpec spec;
        spec.kind = kind;
        spec.peer = *report_.relayed[other];
        spec.channel = kChannel;
        if (!transact(i, spec)) {
            explain(i, kind, &spec.peer);
            return false;
        }
        return true;
    }

    // Datagrams every `interval` from the first allocation; the second echoes what arrives.
    void relay() {
        relaying_ = true;
        std::array<uint8_t, probe::kMaxPingSize> payload{};
        std::array<uint8_t, probe::kMaxPingSize + 64> frame{};
        const bool pad = s_.transport != TurnTransport::Udp;
        auto next_send = Clock::now();
        uint32_t sequence = 0;
        for (unsigned rounds = 0; rounds < kMaxHandlerRuns && !ping_.complete(); ++rounds) {
            auto now = Clock::now();
            if (sequence < ping_.count() && now >= next_send) {
                auto data = ping_.make(sequence++, payload, now);
                auto bytes = probe::build_channel_data(frame, kChannel, data, pad);
                conns_[0]->send(bytes);
                next_send = now + s_.interval;
            }
            if (conns_[0]->failed() || conns_[1]->failed())
                break;
            const auto end = next_send - s_.interval + s_.timeout;
            if (sequence == ping_.count() && now >= end)
                break;
            if (io_.stopped())
                io_.restart();
            io_.run_one_until(sequence < ping_.count() ? next_send : end);
        }
        relaying_ = false;
        if (ping_.received() == 0) {
            for (auto& c : conns_)
                if (c->failed())
                    return fail("connection_closed", c->error());
            fail("no_relay", "none of the " + std::to_string(ping_.sent()) +
                                 " datagrams came back through the relay within " +
                                 seconds(s_.timeout));
        }
    }

    // RFC 8656 §8: a Refresh with LIFETIME 0 deletes the allocation.
    void release() {
        bool all = true;
        for (int i = 0; i < 2; ++i) {
            if (!allocated_[i])
                continue;
            probe::TurnRequestSpec spec;
            spec.kind = TurnRequestKind::Refresh;
            spec.lifetime = 0;
            all = transact(i, spec) && all;
        }
        report_.released = all;
    }

    void on_frame(int i, std::span<const uint8_t> frame) {
        if (!stun::is_channel_data(frame)) {
            auto m = stun::MessageView::parse(frame);
            if (m && !m->is_request() && m->message_class() != stun::MessageClass::Indication) {
                clients_[i]->on_message(frame, Clock::now());
                return;
            }
        }
        auto d = probe::read_relayed_data(frame);
        if (!d || !relaying_)
            return;
        if (i == 1 && d->peer && d->peer == report_.relayed[0]) {
            // RFC 8656 §11.2: echo back to the first relay with a Send indication.
            std::array<uint8_t, probe::kMaxPingSize + 64> out{};
            stun::TransactionId id{};
            crypto::random_bytes(id);
            conns_[1]->send(probe::build_send_indication(out, id, *d->peer, d->data));
        } else if (i == 0 && d->channel == kChannel) {
            ping_.on_echo(d->data, Clock::now());
        }
    }

    const TurnProbeSettings& s_;
    asio::io_context io_;
    std::array<std::unique_ptr<TurnConnection>, 2> conns_;
    std::array<std::optional<probe::TurnClient>, 2> clients_;
    std::array<bool, 2> allocated_{};
    probe::RelayPing ping_;
    bool relaying_ = false;
    TurnReport report_;
};

} // namespace

TurnReport run_turn_probe(const TurnProbeSettings& settings) {
    return Probe(settings).run();
}

} // namespace rtc::probe_tool
