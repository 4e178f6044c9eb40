#include "worker.hpp"

#include "stream_client.hpp"

#include "app/exit_codes.hpp"
#include "app/listen_error.hpp"
#include "stun/framing.hpp"

#include <asio/post.hpp>

namespace rtc::turn_tool {

namespace {

// Room for the largest message either way: a STUN message or ChannelData of 64 kB plus the
// Data indication overhead (server.hpp: bytes + 36).
constexpr std::size_t kOutSize = stun::kMaxMessageSize + 64;
constexpr std::chrono::seconds kTick{1}; // expiry of allocations, permissions and channels
// A TCP/TLS connection without an allocation closes after this long without a byte from the
// client (what StreamServer's own idle timeout did before the shell took it over).
constexpr std::chrono::minutes kUnallocatedIdle{5};

// The core of worker `index`: RFC 6062 on, connection ids tagged with the worker's index.
turn::TurnServerConfig core_config(const WorkerSetup& setup) {
    auto config = setup.plan.server;
    config.connection_id_shard = static_cast<uint8_t>(setup.index);
    config.tcp_relay = setup.index <= 0xFF;
    config.user_quota = &setup.quota.users;
    return config;
}

std::shared_ptr<turn::CredentialStore> make_store(const TurnPlan& plan,
                                                  std::shared_ptr<const turn::UserStore> users) {
    return std::make_shared<turn::CredentialStore>(
        turn::CredentialConfig{plan.realm, std::move(users), plan.secrets});
}

constexpr std::string_view kInUseHint = app::kStunTurnInUseHint;

} // namespace

TurnWorker::TurnWorker(asio::io_context& io, const WorkerSetup& setup)
    : io_(io), metrics_(setup.metrics), snapshot_(setup.snapshot), out_(kOutSize),
      index_(setup.index), tcp_idle_timeout_(setup.plan.tcp_idle_timeout), workers_(setup.workers),
      relays_(io, setup.relay_options,
              [this](net::RelaySockets::Id id, std::span<const net::RelayDatagram> batch) {
                  on_relay(id, batch);
              }),
      tcp_(io, setup.relay_options.min_port, setup.relay_options.max_port,
           {[this](turn::RelayId relay, const util::Endpoint& peer) {
                return on_peer_accepted(relay, peer);
            },
            [this](turn::ConnectionId id, bool connected) {
                return on_peer_connected(id, connected);
            },
            [this](turn::ConnectionId id) {
                server_.handle_connection_closed(id);
                publish();
            }}),
      allocator_(relays_, tcp_, setup.plan.relay, setup.quota,
                 [this](turn::ConnectionId id) { close_connection(id); }),
      server_(core_config(setup), make_store(setup.plan, setup.users),
              turn::PeerFilter(setup.plan.peers), setup.binding, allocator_),
      timer_(io) {}

TurnWorker::~TurnWorker() = default;

void TurnWorker::bind_udp(const std::vector<util::Endpoint>& endpoints) {
    net::UdpBatchOptions options;
    options.max_datagram = kOutSize > 4096 ? 4096 : kOutSize; // client datagrams: one MTU-ish
    options.send_queue = 512;
    options.receive_buffer = 4 << 20;
    options.send_buffer = 4 << 20;
    for (const auto& e : endpoints) {
        std::error_code ec;
        auto socket = net::UdpBatchSocket::open(io_, e, options, ec);
        if (!socket)
            throw app::cannot_listen("udp", e, ec, kInUseHint);
        udp_.push_back(std::move(socket));
    }
}

void TurnWorker::bind_streams(const std::vector<StreamListen>& listens,
                              std::shared_ptr<tls::ReloadableContext> tls,
                              std::shared_ptr<tls::ReloadableContext> dtls) {
    for (const auto& l : listens) {
        auto factory = [this, datagram = l.datagram](
                           net::StreamConnection& c) -> std::unique_ptr<net::StreamHandler> {
            if (stopping_)
                return nullptr;
            return std::make_unique<StreamClient>(*this, c, datagram);
        };
        try {
            if (l.datagram) {
                net::DtlsServerOptions options;
                options.tls = dtls;
                dtls_.push_back(net::DtlsServer::start(io_, l.endpoint, factory, options));
                continue;
            }
            net::StreamServerOptions options;
            // Off: the stream server counts only the client's bytes, which would cut RFC 6062
            // control connections waiting for their next Refresh and data connections where
            // only the peer talks. close_idle() decides instead.
            options.idle_timeout = std::chrono::milliseconds(0);
            options.reuse_port = true;
            options.max_buffered_bytes = 256 * 1024;
            if (l.tls)
                options.tls = tls;
            streams_.push_back(net::StreamServer::start(io_, l.endpoint, factory, options));
            stream_tls_.push_back(l.tls);
        } catch (const std::system_error& e) {
            throw app::cannot_listen(scheme_of(l), l.endpoint, e.code(), kInUseHint);
        }
    }
}

std::vector<util::Endpoint> TurnWorker::udp_endpoints() const {
    std::vector<util::Endpoint> out;
    for (const auto& s : udp_)
        out.push_back(s->local_endpoint());
    return out;
}

std::vector<StreamListen> TurnWorker::stream_endpoints() const {
    std::vector<StreamListen> out;
    for (std::size_t i = 0; i < streams_.size(); ++i)
        out.push_back({streams_[i]->local_endpoint(), stream_tls_[i]});
    for (const auto& d : dtls_)
        out.push_back({d->local_endpoint(), true, true});
    return out;
}

void TurnWorker::start() {
    for (std::size_t i = 0; i < udp_.size(); ++i)
        udp_[i]->start(
            [this, i](net::UdpBatchSocket&, std::span<const net::ReceivedDatagram> batch) {
                on_udp(i, batch);
            });
    arm_timer();
}

turn::ClientAction TurnWorker::client_message(std::span<const uint8_t> bytes,
                                              const turn::FiveTuple& tuple, const Now& now) {
    auto action = server_.handle_client(bytes, {tuple}, now.steady, now.wall, out_);
    if (action.error_code)
        metrics_.error(action.error_code);
    switch (action.kind) {
    case turn::ActionKind::SendToClient:
    case turn::ActionKind::BindConnection: // replied to by the caller
        break;
    case turn::ActionKind::SendToPeer:
        // Queued: one sendmmsg per relay socket at the end of a UDP listener's batch (on_udp),
        // or, for messages over TCP, TLS and DTLS, in a flush posted once per read.
        if (!relays_.queue(action.relay, action.payload, action.peer, action.dont_fragment))
            metrics_.drop(ShellDrop::SendFailed);
        else if (!relay_batch_ && !relay_flush_posted_) {
            relay_flush_posted_ = true;
            asio::post(io_, [this] {
                relay_flush_posted_ = false;
                flush_relays();
            });
        }
        break;
    case turn::ActionKind::ConnectToPeer: // RFC 6062 §5.2
        tcp_.connect(action.connection, action.relay, action.peer);
        break;
    case turn::ActionKind::None:
        break;
    }
    return action;
}

std::span<const uint8_t> TurnWorker::reply_of(const turn::ClientAction& action) const {
    if (action.kind != turn::ActionKind::SendToClient &&
        action.kind != turn::ActionKind::BindConnection)
        return {};
    return {out_.data(), action.size};
}

void TurnWorker::on_udp(std::size_t index, std::span<const net::ReceivedDatagram> batch) {
    auto& socket = *udp_[index];
    turn::FiveTuple tuple{{}, socket.local_endpoint(), stun::Transport::Udp};
    const Now now;
    relay_batch_ = true;
    for (const auto& d : batch) {
        if (d.truncated) {
            metrics_.drop(ShellDrop::Truncated);
            continue;
        }
        tuple.client = d.source;
        auto reply = reply_of(client_message(d.data, tuple, now));
        if (!reply.empty() && !socket.send(reply, d.source))
            metrics_.drop(ShellDrop::SendFailed);
    }
    relay_batch_ = false;
    flush_relays();
    publish();
}

void TurnWorker::flush_relays() {
    // Datagrams the kernel refused, or a full send buffer dropped (rare: counted one by one).
    for (std::size_t dropped = relays_.flush(); dropped > 0; --dropped)
        metrics_.drop(ShellDrop::SendFailed);
}

void TurnWorker::send_to_client(const turn::FiveTuple& tuple, std::span<const uint8_t> bytes) {
    if (tuple.transport == stun::Transport::Udp) {
        for (auto& s : udp_)
            if (s->local_endpoint() == tuple.server) {
                if (!s->send(bytes, tuple.client))
                    metrics_.drop(ShellDrop::SendFailed);
                return;
            }
    } else if (auto it = connections_.find(tuple); it != connections_.end()) {
        if (!it->second->connection().write(bytes))
            metrics_.drop(ShellDrop::SendFailed);
        return;
    }
    metrics_.drop(ShellDrop::NoClient);
}

void TurnWorker::on_relay(net::RelaySockets::Id id, std::span<const net::RelayDatagram> batch) {
    auto now = std::chrono::steady_clock::now();
    // The batch's datagrams for UDP clients leave in one sendmmsg per listener, right after it.
    for (auto& s : udp_)
        s->defer_flush();
    for (const auto& d : batch) {
        if (d.truncated) {
            metrics_.drop(ShellDrop::Truncated);
            continue;
        }
        auto action = server_.handle_peer(id, d.source, d.data, now, out_);
        if (action.kind == turn::ActionKind::SendToClient)
            send_to_client(action.five_tuple, std::span<const uint8_t>(out_.data(), action.size));
    }
    for (auto& s : udp_)
        s->flush();
    publish();
}

void TurnWorker::arm_timer() {
    timer_.expires_after(kTick);
    timer_.async_wait([this](const std::error_code& ec) {
        if (ec || stopping_)
            return;
        auto now = std::chrono::steady_clock::now();
        server_.on_timer(now);
        // RFC 6062 §5.2: the 447 answers of Connect requests that timed out.
        for (auto action = server_.take_timer_response(out_); action.kind != turn::ActionKind::None;
             action = server_.take_timer_response(out_))
            send_action(action);
        allocator_.expire_reservations(now);
        close_idle(now);
        publish();
        arm_timer();
    });
}

void TurnWorker::close_idle(std::chrono::steady_clock::time_point now) {
    // Collected first: closing reports back into pipes_ (pipe_closed).
    std::vector<std::shared_ptr<TcpPipe>> idle_pipes;
    for (auto& [id, weak] : pipes_)
        if (auto pipe = weak.lock(); pipe && now - pipe->last_activity() >= tcp_idle_timeout_)
            idle_pipes.push_back(std::move(pipe));
    // A connection with an allocation lives as long as the allocation (RFC 8656 §3.1, RFC 6062
    // §5): its client need not send anything before its next Refresh.
    std::vector<net::StreamConnection*> idle_streams;
    for (auto& [tuple, client] : connections_)
        if (client->framing_stream() && now - client->last_activity() >= kUnallocatedIdle &&
            !server_.table().find(tuple))
            idle_streams.push_back(&client->connection());
    for (auto& pipe : idle_pipes) {
        metrics_.tcp_idle_timeout();
        pipe->close(true); // both sides; the core hears it through pipe_closed()
    }
    for (auto* stream : idle_streams)
        stream->close(); // on_close() comes later, from the event loop
}

void TurnWorker::publish() {
    TurnMetrics::Held held;
    held.allocations = server_.allocation_count();
    held.permissions = server_.table().permission_count();
    held.channels = server_.table().channel_count();
    held.tcp_connections = server_.tcp_connections().size();
    held.relay_sockets = relays_.size() + tcp_.listeners();
    snapshot_.publish(server_.counters(), held);
}

void TurnWorker::set_credentials(const turn::CredentialStore& credentials) {
    server_.credentials() = credentials;
}

void TurnWorker::stop(std::chrono::milliseconds grace, std::function<void()> done) {
    stopping_ = true;
    timer_.cancel();
    for (auto& s : udp_) {
        s->flush();
        s->close();
    }
    auto finish = [this, done] {
        relays_.close_all();
        tcp_.close_all();
        std::vector<std::shared_ptr<TcpPipe>> pipes;
        for (auto& [id, p] : pipes_)
            if (auto pipe = p.lock())
                pipes.push_back(pipe);
        pipes_.clear();
        for (auto& pipe : pipes)
            pipe->close(false);
        publish();
        done();
    };
    if (streams_.empty() && dtls_.empty()) {
        finish();
        return;
    }
    auto remaining = std::make_shared<std::size_t>(streams_.size() + dtls_.size());
    auto one_done = [remaining, finish] {
        if (--*remaining == 0)
            finish();
    };
    for (auto& server : streams_)
        server->stop(grace, one_done);
    for (auto& server : dtls_)
        server->stop(one_done);
}

} // namespace rtc::turn_tool
