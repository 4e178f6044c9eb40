#include "net/dtls_server.hpp"

#include "tls/context.hpp"
#include "tls/dtls_cookie.hpp"
#include "tls/engine.hpp"

#include <asio/dispatch.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace rtc::net {

namespace {

using Clock = std::chrono::steady_clock;

// The timer never fires more often than this: every firing sweeps all sessions.
constexpr std::chrono::milliseconds kTimerSlack{50};
// Bounds the datagrams drained from one engine at once (a flight is a handful).
constexpr int kMaxDrain = 1024;

// The cookie binds to these bytes (RFC 6347 §4.2.1 "Client-IP"): address, then port.
struct ClientId {
    std::array<uint8_t, 18> bytes{};
    std::size_t size = 0;
    explicit ClientId(const util::Endpoint& e) {
        const std::size_t n = e.address.is_v4() ? 4 : 16;
        std::memcpy(bytes.data(), e.address.data(), n);
        bytes[n] = static_cast<uint8_t>(e.port >> 8);
        bytes[n + 1] = static_cast<uint8_t>(e.port);
        size = n + 2;
    }
    std::span<const uint8_t> span() const { return {bytes.data(), size}; }
};

} // namespace

class DtlsSession final : public StreamConnection {
public:
    DtlsSession(DtlsServer& server, const util::Endpoint& remote,
                std::shared_ptr<const tls::Context> context, Clock::time_point now)
        : engine(std::move(context)), server_(server), remote_(remote), created(now),
          last_activity(now) {
        engine.set_peer_id(ClientId(remote).span());
    }

    bool write(std::span<const uint8_t> data) override {
        if (dead || !engine.is_open())
            return false;
        const bool ok = engine.write(data);
        server_.drain(*this);
        return ok;
    }
    void close() override {
        if (dead)
            return;
        engine.close(); // close_notify (RFC 6347 §4.1 / RFC 5246 §7.2.1)
        server_.drain(*this);
        server_.kill(*this);
    }
    const util::Endpoint& remote() const override { return remote_; }
    const util::Endpoint& local() const override { return server_.local_; }
    bool is_tls() const override { return true; }
    std::string_view alpn() const override { return engine.alpn(); }
    // Each record leaves at once (DtlsServer::drain) or is dropped: nothing queues per session.
    std::size_t buffered_output() const override { return 0; }

    tls::Engine engine;
    std::unique_ptr<StreamHandler> handler;
    DtlsServer& server_;
    util::Endpoint remote_;
    Clock::time_point created;
    Clock::time_point last_activity;
    bool established = false;
    bool dead = false;
};

struct DtlsServer::Private {};

DtlsServer::DtlsServer(asio::io_context& io, HandlerFactory factory, DtlsServerOptions options,
                       Private)
    : io_(io), timer_(io), factory_(std::move(factory)), options_(std::move(options)) {}

DtlsServer::~DtlsServer() {
    if (socket_)
        socket_->close();
}

std::shared_ptr<DtlsServer> DtlsServer::start(asio::io_context& io, const util::Endpoint& listen,
                                              HandlerFactory factory, DtlsServerOptions options) {
    if (!options.tls || options.tls->options().transport != tls::Transport::Datagram ||
        !options.tls->options().dtls_cookies)
        throw std::invalid_argument("a DTLS server needs a datagram TLS context");
    auto server =
        std::make_shared<DtlsServer>(io, std::move(factory), std::move(options), Private{});
    server->cookies_ = server->options_.tls->options().dtls_cookies;
    std::error_code ec;
    server->socket_ = UdpBatchSocket::open(io, listen, server->options_.udp, ec);
    if (!server->socket_)
        throw std::system_error(ec, "cannot listen on dtls://" + listen.to_string());
    server->local_ = server->socket_->local_endpoint();
    std::weak_ptr<DtlsServer> weak = server;
    server->socket_->start([weak](UdpBatchSocket&, std::span<const ReceivedDatagram> batch) {
        if (auto self = weak.lock())
            self->on_batch(batch);
    });
    const auto now = Clock::now();
    server->cookies_->rotate_if_due(now, server->options_.cookie_rotation);
    server->arm_timer(now + server->options_.cookie_rotation);
    return server;
}

void DtlsServer::on_batch(std::span<const ReceivedDatagram> batch) {
    const auto now = Clock::now();
    for (const auto& d : batch) {
        if (d.truncated) {
            counters_.dropped.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        const auto it = sessions_.find(d.source);
        if (it == sessions_.end()) {
            on_unknown(d, now);
            continue;
        }
        DtlsSession& s = *it->second;
        if (s.dead)
            continue;
        s.last_activity = now;
        s.engine.feed(d.data, now);
        after_io(s, now);
    }
}

void DtlsServer::on_unknown(const ReceivedDatagram& d, TimePoint now) {
    // RFC 6347 §4.2.1 / RFC 9147 §5.1: verify the cookie before keeping any state.
    const ClientId id(d.source);
    const auto screen = tls::screen_client_hello(*cookies_, d.data, id.span(), reply_);
    switch (screen.verdict) {
    case tls::HelloVerdict::NotClientHello:
        counters_.dropped.fetch_add(1, std::memory_order_relaxed);
        return;
    case tls::HelloVerdict::BadCookie:
        counters_.bad_cookies.fetch_add(1, std::memory_order_relaxed);
        [[fallthrough]];
    case tls::HelloVerdict::NoCookie:
        if (stopping_ || screen.reply_size == 0)
            return;
        if (socket_->send({reply_.data(), screen.reply_size}, d.source))
            counters_.hello_verify_sent.fetch_add(1, std::memory_order_relaxed);
        return;
    case tls::HelloVerdict::Valid:
        break;
    }
    if (stopping_ || sessions_.size() >= options_.max_sessions) {
        counters_.rejected.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    std::unique_ptr<DtlsSession> session;
    try {
        session = std::make_unique<DtlsSession>(*this, d.source, options_.tls->current(), now);
    } catch (const std::exception&) { // mbedTLS could not allocate the session
        counters_.rejected.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    DtlsSession& s = *session;
    sessions_.emplace(d.source, std::move(session));
    counters_.accepted.fetch_add(1, std::memory_order_relaxed);
    counters_.active.store(sessions_.size(), std::memory_order_relaxed);
    arm_timer(now + options_.handshake_timeout);
    s.engine.feed(d.data, now);
    after_io(s, now);
}

void DtlsServer::drain(DtlsSession& s) {
    for (int i = 0; i < kMaxDrain; ++i) {
        const auto out = s.engine.pending_output();
        if (out.empty())
            return;
        socket_->send(out, s.remote_); // a full queue drops it: DTLS retransmits the handshake
        s.engine.consume_output();
    }
}

void DtlsServer::after_io(DtlsSession& s, TimePoint now) {
    drain(s);
    if (!s.established && s.engine.is_open()) {
        s.established = true;
        counters_.established.fetch_add(1, std::memory_order_relaxed);
        s.handler = factory_ ? factory_(s) : nullptr;
        if (!s.handler) {
            counters_.rejected.fetch_add(1, std::memory_order_relaxed);
            s.close();
            return;
        }
    }
    if (s.handler)
        deliver(s);
    drain(s);
    if (s.dead)
        return;
    switch (s.engine.state()) {
    case tls::EngineState::Failed:
        if (!s.established)
            counters_.handshake_failures.fetch_add(1, std::memory_order_relaxed);
        kill(s);
        return;
    case tls::EngineState::Closed:
        kill(s);
        return;
    case tls::EngineState::Handshaking:
    case tls::EngineState::Open:
        break;
    }
    if (const auto deadline = s.engine.next_deadline())
        arm_timer(std::max(*deadline, now));
}

void DtlsServer::deliver(DtlsSession& s) {
    // One record at a time; the handler may consume a record in several calls, and what it
    // leaves of a record is dropped with it (datagram semantics).
    for (;;) {
        if (s.dead || !s.handler)
            return;
        const auto record = s.engine.pending_plaintext();
        if (record.empty())
            return;
        std::size_t at = 0;
        while (at < record.size() && !s.dead) {
            const std::size_t n = s.handler->on_data(record.subspan(at));
            if (n == 0)
                break;
            at += std::min(n, record.size() - at);
        }
        s.engine.consume_plaintext(record.size());
    }
}

void DtlsServer::kill(DtlsSession& s) {
    if (s.dead)
        return;
    s.dead = true;
    dead_.push_back(s.remote_);
    schedule_reap();
}

void DtlsServer::schedule_reap() {
    if (reap_posted_)
        return;
    reap_posted_ = true;
    asio::post(io_, [self = shared_from_this()] {
        self->reap_posted_ = false;
        self->reap();
    });
}

void DtlsServer::reap() {
    // on_close() runs here, from the event loop, never inside on_data().
    std::vector<util::Endpoint> dead;
    dead.swap(dead_);
    for (const auto& remote : dead) {
        const auto it = sessions_.find(remote);
        if (it == sessions_.end())
            continue;
        std::unique_ptr<DtlsSession> s = std::move(it->second);
        sessions_.erase(it);
        if (s->handler)
            s->handler->on_close();
    }
    counters_.active.store(sessions_.size(), std::memory_order_relaxed);
}

void DtlsServer::arm_timer(TimePoint when) {
    if (stopping_)
        return;
    if (timer_expiry_ && *timer_expiry_ <= when)
        return;
    timer_expiry_ = when;
    timer_.expires_at(when);
    std::weak_ptr<DtlsServer> weak = shared_from_this();
    timer_.async_wait([weak](const std::error_code& ec) {
        if (ec == asio::error::operation_aborted)
            return;
        if (auto self = weak.lock())
            self->on_timer();
    });
}

void DtlsServer::on_timer() {
    timer_expiry_.reset();
    if (stopping_)
        return;
    const auto now = Clock::now();
    cookies_->rotate_if_due(now, options_.cookie_rotation);
    TimePoint next = now + options_.cookie_rotation;
    for (auto& [remote, ptr] : sessions_) {
        DtlsSession& s = *ptr;
        if (s.dead)
            continue;
        if (!s.established) {
            const auto limit = s.created + options_.handshake_timeout;
            if (now >= limit) {
                counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
                kill(s);
                continue;
            }
            next = std::min(next, limit);
        } else {
            const auto limit = s.last_activity + options_.idle_timeout;
            if (now >= limit) {
                counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
                s.close();
                continue;
            }
            next = std::min(next, limit);
        }
        if (const auto deadline = s.engine.next_deadline()) {
            if (now >= *deadline) {
                // RFC 6347 §4.2.4: retransmit the last flight.
                s.engine.on_timer(now);
                after_io(s, now);
            }
            if (!s.dead)
                if (const auto again = s.engine.next_deadline())
                    next = std::min(next, *again);
        }
    }
    arm_timer(std::max(next, now + kTimerSlack));
}

void DtlsServer::stop(std::function<void()> done) {
    asio::dispatch(io_, [self = shared_from_this(), done = std::move(done)]() mutable {
        self->do_stop(std::move(done));
    });
}

void DtlsServer::do_stop(std::function<void()> done) {
    if (!stopping_) {
        stopping_ = true;
        timer_.cancel();
        timer_expiry_.reset();
        for (auto& [remote, s] : sessions_) {
            if (s->dead)
                continue;
            if (s->established)
                s->close(); // close_notify
            else
                kill(*s);
        }
        socket_->flush();
        socket_->close();
    }
    // The reap (and with it every on_close) is queued before `done`.
    schedule_reap();
    if (done)
        asio::post(io_, std::move(done));
}

DtlsServerStats DtlsServer::stats() const {
    DtlsServerStats s;
    s.hello_verify_sent = counters_.hello_verify_sent.load(std::memory_order_relaxed);
    s.bad_cookies = counters_.bad_cookies.load(std::memory_order_relaxed);
    s.dropped = counters_.dropped.load(std::memory_order_relaxed);
    s.accepted = counters_.accepted.load(std::memory_order_relaxed);
    s.rejected = counters_.rejected.load(std::memory_order_relaxed);
    s.established = counters_.established.load(std::memory_order_relaxed);
    s.handshake_failures = counters_.handshake_failures.load(std::memory_order_relaxed);
    s.timeouts = counters_.timeouts.load(std::memory_order_relaxed);
    s.active = counters_.active.load(std::memory_order_relaxed);
    return s;
}

UdpSocketStats DtlsServer::socket_stats() const {
    return socket_ ? socket_->stats() : UdpSocketStats{};
}

} // namespace rtc::net
