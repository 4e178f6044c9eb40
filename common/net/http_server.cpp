// HttpServer: a StreamServer whose connections are HttpSessions, plus the graceful stop.
#include "net/http_server.hpp"

#include "net/http_server_state.hpp"
#include "net/http_session.hpp"

#include <asio/dispatch.hpp>

#include <algorithm>

namespace rtc::net {

namespace {

using Clock = std::chrono::steady_clock;

// Room beyond max_output_bytes for the frames a session still owes once it is over it: the
// Close (at most 127 bytes) and a Pong.
constexpr std::size_t kControlSlack = 1024;
// The largest HTTP answer a connection may have unsent (answers are queued whole). Only when
// the connection can count its unsent bytes; otherwise max_output_bytes bounds everything.
constexpr std::size_t kMaxHttpOutput = 16 * 1024 * 1024;
// Bytes per read: small, since every connection owns its read buffer (20,000 idle WebSockets).
constexpr std::size_t kReadSize = 4096;
// The StreamServer's own idle timeout is only a backstop behind the sessions' timers.
constexpr auto kIdleMargin = std::chrono::seconds(5);

class HttpHandler final : public StreamHandler {
public:
    explicit HttpHandler(std::shared_ptr<HttpSession> session) : session_(std::move(session)) {}
    std::size_t on_data(std::span<const uint8_t> data) override { return session_->on_data(data); }
    void on_close() override { session_->on_connection_closed(); }

private:
    std::shared_ptr<HttpSession> session_;
};

StreamServerOptions stream_options(const HttpServerOptions& o) {
    StreamServerOptions so;
    so.max_connections = o.max_connections;
    so.reuse_port = o.reuse_port;
    so.tls = o.tls;
    so.read_size = kReadSize;
    // Unconsumed input is at most one request or one frame (the sessions consume the rest);
    // unsent output is bounded by the sessions when they can count it, else by this.
    const std::size_t input =
        std::max(o.request_limits.max_header_bytes + o.request_limits.max_body,
                 o.max_message + 14) +
        kReadSize;
    std::size_t output = o.max_output_bytes + kControlSlack;
    if constexpr (kPreciseOutputLimit)
        output = std::max(output, kMaxHttpOutput);
    so.max_buffered_bytes = std::max(input, output);
    // Sessions time out on their own (request_timeout, pings): the StreamServer's idle timeout
    // must not end a healthy WebSocket, so it sits behind the longest legitimate silence. With
    // pings off a quiet WebSocket may stay forever, as asked.
    if (o.ping_interval.count() > 0) {
        const auto longest = std::max({o.request_timeout, 2 * o.ping_interval, o.close_timeout});
        so.idle_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
            longest + o.close_timeout + kIdleMargin);
    } else {
        so.idle_timeout = std::chrono::milliseconds(0);
    }
    return so;
}

} // namespace

void HttpServer::State::remove(HttpSession* session, bool notify) {
    sessions.erase(session);
    if (notify && stopping && !stream_stopped && sessions.empty())
        finish_stop();
}

void HttpServer::State::do_stop(std::chrono::milliseconds grace, std::function<void()> done) {
    if (stream_stopped) { // a later stop() waits for the first (StreamServer chains them)
        stream->stop(grace, std::move(done));
        return;
    }
    if (done)
        stop_done.push_back(std::move(done));
    if (stopping)
        return;
    stopping = true;
    stop_deadline = Clock::now() + std::max(grace, std::chrono::milliseconds(0));
    std::vector<std::shared_ptr<HttpSession>> live;
    live.reserve(sessions.size());
    for (HttpSession* s : sessions)
        if (auto p = s->weak_from_this().lock())
            live.push_back(std::move(p));
    for (auto& s : live)
        s->shutdown(stop_deadline);
    if (sessions.empty()) {
        finish_stop();
        return;
    }
    stop_timer.expires_at(stop_deadline);
    stop_timer.async_wait([self = shared_from_this()](const std::error_code& ec) {
        if (!ec)
            self->finish_stop();
    });
}

// Every session ended, or the grace is over: the StreamServer stops accepting and ends what is
// left (TLS handshakes in progress, sessions still closing) within the remaining grace.
void HttpServer::State::finish_stop() {
    if (stream_stopped)
        return;
    stream_stopped = true;
    stop_timer.cancel();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(stop_deadline - Clock::now(), Clock::duration::zero()));
    stream->stop(left, [callbacks = std::move(stop_done)] {
        for (const auto& f : callbacks)
            f();
    });
    stop_done.clear();
}

HttpServer::HttpServer(std::shared_ptr<State> state) : state_(std::move(state)) {}

HttpServer::~HttpServer() = default;

std::shared_ptr<HttpServer> HttpServer::start(asio::io_context& io, const util::Endpoint& listen,
                                              HttpApp& app, HttpServerOptions options) {
    auto state = std::make_shared<State>(io, app, std::move(options));
    std::weak_ptr<State> weak = state;
    state->stream = StreamServer::start(
        io, listen,
        [weak](StreamConnection& connection) -> std::unique_ptr<StreamHandler> {
            auto st = weak.lock();
            if (!st || st->stopping)
                return nullptr;
            auto session = std::make_shared<HttpSession>(st, connection);
            st->add(session.get());
            session->start();
            return std::make_unique<HttpHandler>(std::move(session));
        },
        stream_options(state->options));
    return std::make_shared<HttpServer>(std::move(state));
}

util::Endpoint HttpServer::local_endpoint() const {
    return state_->stream->local_endpoint();
}

void HttpServer::stop(std::chrono::milliseconds grace, std::function<void()> done) {
    asio::dispatch(state_->io, [state = state_, grace, done = std::move(done)]() mutable {
        state->do_stop(grace, std::move(done));
    });
}

HttpServerStats HttpServer::stats() const {
    const auto stream = state_->stream->stats();
    const auto& c = state_->counters;
    constexpr auto relaxed = std::memory_order_relaxed;
    HttpServerStats s;
    s.connections = stream.active;
    s.websockets = c.websockets.load(relaxed);
    s.requests = c.requests.load(relaxed);
    s.bad_requests = c.bad_requests.load(relaxed);
    s.protocol_errors = c.protocol_errors.load(relaxed);
    s.too_big = c.too_big.load(relaxed);
    s.slow_consumers = c.slow_consumers.load(relaxed);
    s.ping_timeouts = c.ping_timeouts.load(relaxed);
    s.messages_in = c.messages_in.load(relaxed);
    s.messages_out = c.messages_out.load(relaxed);
    s.rejected = stream.rejected + stream.handshake_failures;
    return s;
}

} // namespace rtc::net
