#include "load_turn.hpp"

#include "app/exit_codes.hpp"
#include "crypto/random.hpp"
#include "net/socket_address.hpp"
#include "net/udp_batch_socket.hpp"
#include "probe/turn_relay.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace rtc::probe_tool {

namespace {

using probe::Clock;
using probe::TimePoint;
using probe::TurnRequestKind;

constexpr auto kSetupTick = std::chrono::milliseconds(2);

net::UdpBatchOptions batch_options() {
    net::UdpBatchOptions options;
    options.max_datagram = 1500;
    options.send_queue = kLoadSendQueue;
    options.reuse_port = false;
    options.receive_buffer = kLoadSocketBuffer;
    options.send_buffer = kLoadSocketBuffer;
    return options;
}

// The local address the kernel would send to `server` from: where the echo peer listens, so
// that the TURN server can reach it (RFC 8656 §2: the peer is any host the relay can reach).
util::IpAddress route_source(asio::io_context& io, const util::Endpoint& server) {
    asio::ip::udp::socket probe_socket(io);
    std::error_code ec;
    const auto to = net::to_udp(server);
    probe_socket.open(to.protocol(), ec);
    if (!ec)
        probe_socket.connect(to, ec); // no datagram: a route lookup only
    asio::ip::udp::endpoint local;
    if (!ec)
        local = probe_socket.local_endpoint(ec);
    if (ec)
        throw app::ToolError("no route to " + server.to_string() + ": " + ec.message(),
                             "check the TURN server's address");
    return net::from_asio(local.address());
}

// ChannelData on channel 0x4000 whose payload starts with the request's id; any ChannelData or
// Data indication that comes back with an id answers (RFC 8656 §11.4, §12.6).
class ChannelTraffic final : public LoadTraffic {
public:
    ChannelTraffic(const util::Endpoint& server, std::size_t size)
        : server_(server), payload_(std::max(size, kMinLoadTurnSize), 0) {}

    std::span<const uint8_t> write_request(uint32_t, const stun::TransactionId& id,
                                           std::span<uint8_t> out) override {
        std::memcpy(payload_.data(), id.data(), id.size());
        return probe::build_channel_data(out, kLoadChannel, payload_, false);
    }
    const util::Endpoint& destination(uint32_t) const override { return server_; }
    probe::BindingAnswer read_answer(uint32_t, std::span<const uint8_t> data) override {
        probe::BindingAnswer answer;
        const auto relayed = probe::read_relayed_data(data);
        if (!relayed || relayed->data.size() < kMinLoadTurnSize)
            return answer;
        std::memcpy(answer.id.data(), relayed->data.data(), answer.id.size());
        answer.kind = probe::AnswerKind::Success;
        return answer;
    }

private:
    util::Endpoint server_;
    std::vector<uint8_t> payload_; // one buffer, rewritten for every request
};

enum class Phase : uint8_t { Setup, Load, Release, Done };

class TurnLoad {
public:
    TurnLoad(const TurnLoadSettings& s, app::Logger& log)
        : s_(s), log_(log), timer_(io_), traffic_(s.server, s.size) {}

    TurnLoadReport run() {
        open_sockets();
        phase_ = Phase::Setup;
        const auto now = Clock::now();
        setup_started_ = now;
        for (auto& a : allocs_)
            a.client->start({TurnRequestKind::Allocate}, now);
        tick();
        io_.run();
        return std::move(report_);
    }

private:
    struct Allocation {
        std::shared_ptr<net::UdpBatchSocket> socket;
        std::optional<probe::TurnClient> client;
        bool allocated = false; // on the server: to be deleted at the end
        bool ready = false;     // with its permission and channel
        bool failed = false;
        bool released = false;
        int load_index = -1;
    };

    void open_sockets() {
        const auto options = batch_options();
        const auto local_ip = route_source(io_, s_.server);
        if (s_.peer) {
            report_.peer = *s_.peer;
            report_.own_peer = false;
        } else {
            std::error_code ec;
            peer_ = net::UdpBatchSocket::open(io_, {local_ip, 0}, options, ec);
            if (!peer_)
                throw app::ToolError("cannot open the echo peer's socket on " +
                                         local_ip.to_string() + ": " + ec.message(),
                                     "give an echo peer with --peer HOST:PORT");
            report_.peer = peer_->local_endpoint();
            peer_->start(
                [this](net::UdpBatchSocket& socket, std::span<const net::ReceivedDatagram> batch) {
                    for (const auto& d : batch)
                        if (socket.send(d.data, d.source))
                            ++report_.echoed;
                });
        }
        allocs_.resize(static_cast<std::size_t>(s_.allocations));
        const util::Endpoint any{util::IpAddress::any(s_.server.address.family()), 0};
        for (std::size_t i = 0; i < allocs_.size(); ++i) {
            auto& a = allocs_[i];
            std::error_code ec;
            a.socket = net::UdpBatchSocket::open(io_, any, options, ec);
            if (!a.socket)
                throw app::ToolError("cannot open UDP socket " + std::to_string(i + 1) + ": " +
                                         ec.message(),
                                     "lower --allocations");
            a.client.emplace(s_.credentials, probe::policy_for_timeout(s_.setup_timeout, false),
                             s_.software, [] {
                                 stun::TransactionId id{};
                                 crypto::random_bytes(id);
                                 return id;
                             });
            a.socket->start(
                [this, i](net::UdpBatchSocket&, std::span<const net::ReceivedDatagram> batch) {
                    on_batch(i, batch);
                });
        }
    }

    void on_batch(std::size_t i, std::span<const net::ReceivedDatagram> batch) {
        auto& a = allocs_[i];
        if (phase_ == Phase::Load) {
            if (a.load_index >= 0)
                engine_->on_batch(static_cast<uint32_t>(a.load_index), batch);
            return;
        }
        const auto now = Clock::now();
        for (const auto& d : batch)
            if (!d.data.empty() && (d.data[0] & 0xC0) == 0) // a STUN message (RFC 7983)
                a.client->on_message(d.data, now);
    }

    // The next setup step of allocation a: Allocate, CreatePermission, ChannelBind (RFC 8656
    // §7, §9, §12), one request at a time.
    void advance(Allocation& a, TimePoint now) {
        if (!a.client->succeeded()) {
            a.failed = true;
            if (report_.failure == probe::TurnFailure::None) {
                report_.failure = a.client->failure();
                report_.failure_text = std::string(probe::to_string(a.client->kind())) + ": " +
                                       describe_failure(*a.client);
            }
            return;
        }
        switch (a.client->kind()) {
        case TurnRequestKind::Allocate:
            a.allocated = true;
            ++report_.allocated;
            if (!report_.first_relayed)
                report_.first_relayed = a.client->relayed();
            a.client->start({TurnRequestKind::CreatePermission, report_.peer}, now);
            break;
        case TurnRequestKind::CreatePermission:
            a.client->start({TurnRequestKind::ChannelBind, report_.peer, kLoadChannel}, now);
            break;
        default:
            a.ready = true;
            break;
        }
    }

    static std::string describe_failure(const probe::TurnClient& c) {
        if (c.failure() == probe::TurnFailure::Timeout)
            return "no answer";
        std::string text = std::string(probe::failure_code(c.failure()));
        if (c.error_code())
            text += " (" + std::to_string(c.error_code()) +
                    (c.error_reason().empty() ? "" : " " + c.error_reason()) + ")";
        return text;
    }

    // Drives the TurnClients of the setup and release phases; bounded by their retransmission
    // schedules (every request finishes, answered or not).
    void tick() {
        const auto now = Clock::now();
        bool pending = false;
        for (auto& a : allocs_) {
            if (phase_ == Phase::Setup && (a.ready || a.failed))
                continue;
            if (phase_ == Phase::Release && (!a.allocated || a.released))
                continue;
            if (a.client->finished(now)) {
                if (phase_ == Phase::Setup) {
                    advance(a, now);
                } else {
                    a.released = true;
                    report_.released += a.client->succeeded() ? 1 : 0;
                    continue;
                }
                if (a.ready || a.failed)
                    continue;
            }
            pending = true;
            if (auto bytes = a.client->poll(now); !bytes.empty())
                a.socket->send(bytes, s_.server);
        }
        if (!pending) {
            if (phase_ == Phase::Setup)
                start_load();
            else
                finish();
            return;
        }
        timer_.expires_after(kSetupTick);
        timer_.async_wait([this](const std::error_code& ec) {
            if (!ec)
                tick();
        });
    }

    void start_load() {
        report_.setup_time =
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - setup_started_);
        for (auto& a : allocs_) {
            if (!a.ready)
                continue;
            a.load_index = static_cast<int>(load_sockets_.size());
            load_sockets_.push_back(a.socket);
            ++report_.ready;
        }
        log_.debug("allocations ready",
                   {{"ready", std::to_string(report_.ready)}, {"peer", report_.peer}});
        if (load_sockets_.empty()) {
            start_release();
            return;
        }
        phase_ = Phase::Load;
        engine_.emplace(io_, s_.pacing, load_sockets_, traffic_);
        engine_->start([this] { start_release(); });
    }

    void start_release() {
        if (engine_)
            report_.load = engine_->report();
        phase_ = Phase::Release;
        const auto now = Clock::now();
        for (auto& a : allocs_) {
            if (!a.allocated)
                continue;
            // The same client: it holds the key and nonce. RFC 8656 §8: a Refresh with LIFETIME 0
            // deletes the allocation.
            probe::TurnRequestSpec spec{TurnRequestKind::Refresh};
            spec.lifetime = 0;
            a.client->start(spec, now);
        }
        tick();
    }

    void finish() {
        phase_ = Phase::Done;
        timer_.cancel();
        for (auto& a : allocs_)
            a.socket->close();
        if (peer_)
            peer_->close();
    }

    const TurnLoadSettings& s_;
    app::Logger& log_;
    asio::io_context io_;
    asio::steady_timer timer_;
    ChannelTraffic traffic_;
    std::shared_ptr<net::UdpBatchSocket> peer_;
    std::vector<Allocation> allocs_;
    LoadEngine::Sockets load_sockets_;
    std::optional<LoadEngine> engine_;
    Phase phase_ = Phase::Setup;
    TimePoint setup_started_;
    TurnLoadReport report_;
};

} // namespace

TurnLoadReport run_turn_load(const TurnLoadSettings& settings, app::Logger& log) {
    TurnLoad load(settings, log);
    return load.run();
}

} // namespace rtc::probe_tool
