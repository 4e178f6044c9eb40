// The HTTP/1.1 side of a connection (RFC 9112): requests answered in order as they complete
// (pipelining), keep-alive, HEAD, Date, 4xx then close on a malformed request, and the
// WebSocket opening handshake (RFC 6455 §4.2). The WebSocket side is in ws_session.cpp.
#include "net/http_session.hpp"

#include "ws/handshake.hpp"

#include <exception>

namespace rtc::net {

namespace {

// One scratch buffer per thread for serialising answers and frames: sessions write into it and
// hand it to their connection at once, so no session keeps output capacity of its own.
std::string& scratch() {
    thread_local std::string buffer;
    buffer.clear();
    return buffer;
}

std::string_view as_text(std::span<const uint8_t> data) {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
}

} // namespace

HttpSession::HttpSession(std::shared_ptr<HttpServer::State> state, StreamConnection& connection)
    : state_(std::move(state)),
      connection_(&connection), info_{.remote = connection.remote(), .tls = connection.is_tls()},
      timer_(state_->io) {
    parser_.emplace(state_->options.request_limits);
}

HttpSession::~HttpSession() {
    // Normally on_connection_closed() did this; not when the io_context was torn down first.
    state_->remove(this, false);
    if (counted_)
        state_->counters.websockets.fetch_sub(1, std::memory_order_relaxed);
}

void HttpSession::start() {
    request_start_ = Clock::now();
    if (state_->options.request_timeout.count() > 0)
        arm_timer(request_start_ + state_->options.request_timeout);
}

std::size_t HttpSession::on_data(std::span<const uint8_t> data) {
    switch (phase_) {
    case Phase::Http:
        return on_http(data);
    case Phase::WebSocket:
        return on_frames(data);
    case Phase::Closed:
        break;
    }
    return data.size();
}

// One request per call: the StreamServer offers the rest again (pipelined requests), and keeps
// the bytes of an incomplete request, growing at the end, as the parser wants them.
std::size_t HttpSession::on_http(std::span<const uint8_t> data) {
    if (!connection_open_)
        return data.size();
    const std::string_view input = as_text(data);
    switch (parser_->parse(input)) {
    case http::ParseStatus::NeedMore:
        partial_request_ = !input.empty();
        return 0;
    case http::ParseStatus::Error: {
        state_->counters.bad_requests.fetch_add(1, std::memory_order_relaxed);
        const auto error = parser_->error();
        send_reply(http::status_for(error), "text/plain", http::to_string(error), {}, false, false,
                   false);
        close_connection();
        return data.size();
    }
    case http::ParseStatus::Complete:
        break;
    }
    partial_request_ = false;
    const std::size_t used = parser_->consumed();
    const http::Request& request = parser_->request();
    state_->counters.requests.fetch_add(1, std::memory_order_relaxed);
    if (ws::is_upgrade_request(request))
        answer_upgrade(request);
    else
        answer(request);
    if (!connection_open_)
        return data.size();
    if (phase_ == Phase::WebSocket) {
        parser_.reset(); // the rest are frames; free the parser's tables
        return used;
    }
    parser_->reset();
    request_start_ = Clock::now();
    return used;
}

void HttpSession::answer(const http::Request& request) {
    HttpReply reply;
    bool keep_alive = request.keep_alive() && !state_->stopping;
    try {
        reply = state_->app.on_request(request, info_);
    } catch (const std::exception&) {
        reply = HttpReply{};
        reply.status = 500;
        reply.content_type = "text/plain";
        reply.body = "internal error";
        keep_alive = false;
    }
    send_reply(reply.status, reply.content_type, reply.body, reply.headers, keep_alive,
               request.method == "HEAD", request.version_minor == 0);
    if (!keep_alive)
        close_connection();
}

void HttpSession::answer_upgrade(const http::Request& request) {
    // RFC 6455 §4.2.1: a malformed handshake gets 400 (or 426 for another version), no app call.
    const ws::UpgradeCheck check = ws::check_upgrade(request);
    if (!check.ok) {
        state_->counters.bad_requests.fetch_add(1, std::memory_order_relaxed);
        refuse_upgrade(check.status, check.error, {});
        return;
    }
    if (state_->stopping) {
        refuse_upgrade(503, "server is shutting down", {});
        return;
    }
    Upgrade upgrade;
    try {
        upgrade = state_->app.on_upgrade(request, info_);
    } catch (const std::exception&) {
        refuse_upgrade(500, "internal error", {});
        return;
    }
    if (upgrade.refusal) {
        refuse_upgrade(upgrade.refusal->status, upgrade.refusal->body, upgrade.refusal->headers);
        return;
    }
    if (!upgrade.factory) {
        refuse_upgrade(403, "upgrade refused", {});
        return;
    }
    begin_websocket(check.key, std::move(upgrade));
}

// Date on every answer (RFC 9110 §6.6.1); an HTTP/1.0 client that asked to keep the connection
// is told it is kept (RFC 9112 §9.3).
void HttpSession::send_reply(int status, std::string_view content_type, std::string_view body,
                             const Fields& fields, bool keep_alive, bool head, bool http10) {
    const std::string date = http::http_date(std::chrono::system_clock::now());
    std::vector<http::Header> extra;
    extra.reserve(fields.size() + 2);
    extra.push_back({"Date", date});
    if (keep_alive && http10)
        extra.push_back({"Connection", "keep-alive"});
    for (const auto& [name, value] : fields)
        extra.push_back({name, value});
    std::string& out = scratch();
    http::write_response(out, {.status = status,
                               .content_type = content_type,
                               .body = body,
                               .keep_alive = keep_alive,
                               .head = head,
                               .extra_headers = extra});
    write(out);
}

void HttpSession::refuse_upgrade(int status, std::string_view body, const Fields& fields) {
    Fields extra;
    extra.reserve(fields.size() + 1);
    extra.emplace_back("Date", http::http_date(std::chrono::system_clock::now()));
    extra.insert(extra.end(), fields.begin(), fields.end());
    std::string& out = scratch();
    ws::write_upgrade_refusal(out, status, body, extra);
    write(out);
    close_connection();
}

void HttpSession::begin_websocket(std::string_view key, Upgrade upgrade) {
    // Counted before the 101 leaves, so a client that saw it sees the count too.
    phase_ = Phase::WebSocket;
    ws_state_ = WsState::Open;
    decoder_.emplace(ws::Role::Server,
                     ws::DecoderLimits{.max_message = state_->options.max_message});
    counted_ = true;
    state_->counters.websockets.fetch_add(1, std::memory_order_relaxed);
    last_rx_ = Clock::now();
    std::string& out = scratch();
    ws::write_upgrade_response(out, key, upgrade.protocol);
    if (!write(out))
        return;
    // The 101 is queued, so whatever the factory sends follows it.
    try {
        handler_ = upgrade.factory(*this);
    } catch (const std::exception&) {
        handler_.reset();
    }
    if (!handler_) {
        begin_close(ws::close_code::kInternalError, "no handler", true,
                    Clock::now() + state_->options.close_timeout);
        return;
    }
    on_ws_timer(last_rx_); // arms the ping timer
}

void HttpSession::on_http_timer(Clock::time_point now) {
    const auto timeout = state_->options.request_timeout;
    if (timeout.count() <= 0)
        return;
    if (now < request_start_ + timeout) {
        arm_timer(request_start_ + timeout);
        return;
    }
    // An idle keep-alive connection just ends; a request that is too slow gets 408
    // (RFC 9110 §15.5.9).
    if (partial_request_)
        send_reply(408, "text/plain", "request timeout", {}, false, false, false);
    close_connection();
}

void HttpSession::shutdown(Clock::time_point deadline) {
    if (phase_ == Phase::Http) {
        close_connection();
        return;
    }
    if (phase_ != Phase::WebSocket)
        return;
    if (ws_state_ == WsState::Open) {
        // RFC 6455 §7.4.1: 1001, the server is going away.
        begin_close(ws::close_code::kGoingAway, "going away", false,
                    std::min(deadline, Clock::now() + state_->options.close_timeout));
    } else if (ws_state_ == WsState::Closing && deadline < close_deadline_) {
        close_deadline_ = deadline;
        arm_timer(deadline);
    }
}

bool HttpSession::write(std::string_view bytes) {
    if (!connection_open_ || connection_ == nullptr)
        return false;
    if (connection_->write({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}))
        return true;
    // The StreamServer closed it: over max_buffered_bytes, or TLS failed.
    connection_open_ = false;
    if (phase_ == Phase::WebSocket)
        on_write_failed();
    return false;
}

void HttpSession::close_connection() {
    if (!connection_open_ || connection_ == nullptr)
        return;
    connection_open_ = false;
    connection_->close(); // flushes what is queued, then closes; on_close comes later
}

void HttpSession::arm_timer(Clock::time_point at) {
    // A pending earlier expiry is kept: on_timer() works out what is due and re-arms.
    if (timer_armed_ && timer_at_ <= at)
        return;
    timer_armed_ = true;
    timer_at_ = at;
    timer_.expires_at(at);
    timer_.async_wait([weak = weak_from_this()](const std::error_code& ec) {
        if (ec == asio::error::operation_aborted)
            return;
        if (auto self = weak.lock())
            self->on_timer();
    });
}

void HttpSession::on_timer() {
    timer_armed_ = false;
    if (!connection_open_)
        return;
    const auto now = Clock::now();
    if (phase_ == Phase::Http)
        on_http_timer(now);
    else if (phase_ == Phase::WebSocket)
        on_ws_timer(now);
}

void HttpSession::on_connection_closed() {
    const bool was_websocket = phase_ == Phase::WebSocket;
    phase_ = Phase::Closed;
    connection_open_ = false;
    connection_ = nullptr;
    timer_.cancel();
    timer_armed_ = false;
    if (counted_) { // before the handler hears of it, so stats agree with what it saw
        counted_ = false;
        state_->counters.websockets.fetch_sub(1, std::memory_order_relaxed);
    }
    if (was_websocket && handler_) {
        if (!close_recorded_) { // dropped without a Close (RFC 6455 §7.1.5: 1006)
            close_code_ = ws::close_code::kAbnormal;
            close_reason_.clear();
            close_clean_ = false;
        }
        ws_state_ = WsState::Closed;
        // The handler lives through its on_close and no longer: the WebSocket must not be used
        // after on_close returns.
        const auto handler = std::move(handler_);
        try {
            handler->on_close(close_code_, close_reason_, close_clean_ && !close_enforced_);
        } catch (const std::exception&) {
        }
    }
    ws_state_ = WsState::Closed;
    decoder_.reset();
    parser_.reset();
    state_->remove(this, true);
}

} // namespace rtc::net
