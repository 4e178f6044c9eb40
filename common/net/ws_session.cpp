// The WebSocket side of an HttpSession (RFC 6455): frames through ws::Decoder (Role::Server,
// max_message), pings answered, the closing handshake both ways, server pings after silence,
// and the bound on unsent output.
//
// How a session ends, and what the handler's on_close() hears:
// - the peer's Close: echoed, then the server closes the TCP connection first (§7.1.1);
//   on_close(peer's code, peer's reason, clean = true);
// - WebSocket::close() or stop(): our Close, then up to close_timeout (stop: up to its grace) for
//   the peer's; on_close(our code, our reason, clean = the peer answered);
// - a protocol error (1002), bad UTF-8 (1007), a message over max_message (1009), more unsent
//   output than max_output_bytes (1008 "slow consumer", then the closing handshake), and silence:
//   nothing received for 2 x ping_interval (a Ping went out after 1 x) is 1001 "ping timeout",
//   Close sent and the connection dropped at once since the peer is gone. All of these report
//   the server's code with clean = false;
// - the connection dropped without a Close: on_close(1006, "", false).
// on_close() always runs from the event loop on its own, never inside on_message() or a send.
#include "net/http_session.hpp"

#include <exception>

namespace rtc::net {

namespace {

constexpr std::size_t kMaxFrameHeader = 10; // server frames are unmasked (RFC 6455 §5.2)

std::string& frame_scratch() {
    thread_local std::string buffer;
    buffer.clear();
    return buffer;
}

} // namespace

std::size_t HttpSession::on_frames(std::span<const uint8_t> data) {
    if (!connection_open_ || ws_state_ == WsState::Closed)
        return data.size();
    last_rx_ = Clock::now(); // any byte counts as a sign of life
    std::size_t total = 0;
    // Each event but NeedMore consumes at least one frame header, so this ends.
    while (total < data.size() && connection_open_ && ws_state_ != WsState::Closed) {
        std::size_t used = 0;
        const ws::Event event = decoder_->next(data.subspan(total), used);
        total += used;
        switch (event.kind) {
        case ws::EventKind::NeedMore:
            return total;
        case ws::EventKind::Message:
            deliver(event.payload, event.opcode == ws::Opcode::Binary);
            break;
        case ws::EventKind::Ping:
            // RFC 6455 §5.5.2/§5.5.3: a Pong with the same payload, unless our Close is out.
            if (ws_state_ == WsState::Open)
                send_control(ws::Opcode::Pong, event.payload);
            break;
        case ws::EventKind::Pong:
            break; // last_rx_ is already updated
        case ws::EventKind::Close:
            on_peer_close(event.close_code, event.reason);
            return data.size();
        case ws::EventKind::Error:
            if (event.close_code == ws::close_code::kMessageTooBig)
                state_->counters.too_big.fetch_add(1, std::memory_order_relaxed);
            else
                state_->counters.protocol_errors.fetch_add(1, std::memory_order_relaxed);
            fail(event.close_code, event.reason);
            return data.size();
        }
        if (used == 0)
            break; // cannot happen with a sound decoder; never spin
    }
    return connection_open_ && ws_state_ != WsState::Closed ? total : data.size();
}

void HttpSession::deliver(std::string_view payload, bool binary) {
    // RFC 6455 §1.4: once our Close is out, data from the peer is read and dropped.
    if (ws_state_ != WsState::Open || !handler_)
        return;
    state_->counters.messages_in.fetch_add(1, std::memory_order_relaxed);
    try {
        handler_->on_message(payload, binary);
    } catch (const std::exception&) {
        begin_close(ws::close_code::kInternalError, "internal error", true,
                    Clock::now() + state_->options.close_timeout);
    }
}

bool HttpSession::send_text(std::string_view text) {
    return send_message(ws::Opcode::Text, text);
}

bool HttpSession::send_binary(std::string_view data) {
    return send_message(ws::Opcode::Binary, data);
}

bool HttpSession::send_message(ws::Opcode opcode, std::string_view payload) {
    if (phase_ != Phase::WebSocket || ws_state_ != WsState::Open || !connection_open_)
        return false;
    if (const auto unsent = unsent_output(*connection_);
        unsent && *unsent + payload.size() + kMaxFrameHeader > state_->options.max_output_bytes) {
        state_->counters.slow_consumers.fetch_add(1, std::memory_order_relaxed);
        begin_close(ws::close_code::kPolicyViolation, "slow consumer", true,
                    Clock::now() + state_->options.close_timeout);
        return false;
    }
    std::string& out = frame_scratch();
    ws::write_frame(out, opcode, payload, ws::Role::Server);
    if (!write(out))
        return false;
    state_->counters.messages_out.fetch_add(1, std::memory_order_relaxed);
    return true;
}

bool HttpSession::send_control(ws::Opcode opcode, std::string_view payload) {
    std::string& out = frame_scratch();
    ws::write_frame(out, opcode, payload, ws::Role::Server);
    return write(out);
}

void HttpSession::close(uint16_t code, std::string_view reason) {
    if (phase_ != Phase::WebSocket)
        return;
    // Codes a Close frame may not carry (1005, 1006, 1015, unassigned) go out as an empty Close.
    if (!ws::is_valid_close_code(code))
        code = ws::close_code::kNoStatus;
    begin_close(code, reason, false, Clock::now() + state_->options.close_timeout);
}

std::size_t HttpSession::buffered_output() const {
    if (connection_ == nullptr)
        return 0;
    return unsent_output(*connection_).value_or(0);
}

void HttpSession::on_peer_close(uint16_t code, std::string_view reason) {
    if (ws_state_ == WsState::Open) {
        // The peer started the closing handshake: echo its code (RFC 6455 §5.5.1).
        close_recorded_ = true;
        close_code_ = code;
        close_reason_.assign(reason);
        close_clean_ = true;
        std::string& out = frame_scratch();
        ws::write_close(out, code, {}, ws::Role::Server);
        write(out);
    } else if (ws_state_ == WsState::Closing) {
        close_clean_ = true; // our Close was answered
    }
    ws_state_ = WsState::Closed;
    close_connection();
}

void HttpSession::begin_close(uint16_t code, std::string_view reason, bool enforced,
                              Clock::time_point deadline) {
    if (ws_state_ != WsState::Open || !connection_open_)
        return;
    ws_state_ = WsState::Closing;
    close_recorded_ = true;
    close_code_ = code;
    close_reason_.assign(reason);
    close_enforced_ = enforced;
    close_clean_ = false;
    close_deadline_ = deadline;
    std::string& out = frame_scratch();
    ws::write_close(out, code, reason, ws::Role::Server);
    if (!write(out))
        return;
    arm_timer(deadline);
}

// RFC 6455 §7.1.7 "Fail the WebSocket Connection": a Close with the reason when none is out
// yet, then the TCP connection goes without waiting for an answer.
void HttpSession::fail(uint16_t code, std::string_view reason) {
    if (ws_state_ == WsState::Open) {
        close_recorded_ = true;
        close_code_ = code;
        close_reason_.assign(reason);
        close_enforced_ = true;
        close_clean_ = false;
        std::string& out = frame_scratch();
        ws::write_close(out, code, reason, ws::Role::Server);
        write(out);
    }
    ws_state_ = WsState::Closed;
    close_connection();
}

// The StreamServer refused our output and closed the connection: over its max_buffered_bytes,
// which is how a slow consumer shows when StreamConnection cannot count its unsent bytes.
void HttpSession::on_write_failed() {
    if (ws_state_ == WsState::Open && !close_recorded_) {
        state_->counters.slow_consumers.fetch_add(1, std::memory_order_relaxed);
        close_recorded_ = true;
        close_code_ = ws::close_code::kPolicyViolation;
        close_reason_ = "slow consumer";
        close_enforced_ = true;
        close_clean_ = false;
    }
    ws_state_ = WsState::Closed;
}

void HttpSession::on_ws_timer(Clock::time_point now) {
    if (ws_state_ == WsState::Closing) {
        if (now >= close_deadline_)
            close_connection(); // no answer to our Close in time
        else
            arm_timer(close_deadline_);
        return;
    }
    const auto interval = state_->options.ping_interval;
    if (ws_state_ != WsState::Open || interval.count() <= 0)
        return;
    const auto silence = now - last_rx_;
    if (silence >= 2 * interval) {
        state_->counters.ping_timeouts.fetch_add(1, std::memory_order_relaxed);
        fail(ws::close_code::kGoingAway, "ping timeout");
        return;
    }
    const bool ping_out = last_ping_ > last_rx_;
    if (silence >= interval && !ping_out) {
        // RFC 6455 §5.5.2: a Ping as a keepalive; any bytes back count as an answer.
        last_ping_ = now;
        if (!send_control(ws::Opcode::Ping, {}))
            return;
    }
    arm_timer(last_ping_ > last_rx_ ? last_rx_ + 2 * interval : last_rx_ + interval);
}

} // namespace rtc::net
