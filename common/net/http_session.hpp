#pragma once
// Private to the HTTP server: one connection, first answering HTTP/1.1 requests
// (http_session.cpp), then, after an accepted upgrade, a WebSocket session (ws_session.cpp).
// Runs on the io_context's thread only. Owned by the StreamServer's handler for the connection
// (through a shared_ptr); timers hold weak pointers.
#include "http/request_parser.hpp"
#include "http/response.hpp"
#include "net/http_server.hpp"
#include "net/http_server_state.hpp"
#include "ws/frame.hpp"

#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rtc::net {

class HttpSession final : public WebSocket, public std::enable_shared_from_this<HttpSession> {
public:
    using Clock = std::chrono::steady_clock;
    using Fields = std::vector<std::pair<std::string, std::string>>;

    HttpSession(std::shared_ptr<HttpServer::State> state, StreamConnection& connection);
    ~HttpSession() override;
    HttpSession(const HttpSession&) = delete;
    HttpSession& operator=(const HttpSession&) = delete;

    void start();
    // From the StreamHandler: received bytes (returns how many were used) and the end.
    std::size_t on_data(std::span<const uint8_t> data);
    void on_connection_closed();
    // HttpServer::stop(): a WebSocket gets 1001 and until `deadline` for the peer's Close; an
    // HTTP connection is closed (every request so far was answered: answers are synchronous).
    void shutdown(Clock::time_point deadline);

    // WebSocket
    bool send_text(std::string_view text) override;
    bool send_binary(std::string_view data) override;
    void close(uint16_t code, std::string_view reason = {}) override;
    const util::Endpoint& remote() const override { return info_.remote; }
    bool is_tls() const override { return info_.tls; }
    std::size_t buffered_output() const override;

private:
    enum class Phase : uint8_t { Http, WebSocket, Closed };
    enum class WsState : uint8_t { Open, Closing, Closed }; // Closing: our Close is out

    // HTTP (http_session.cpp)
    std::size_t on_http(std::span<const uint8_t> data);
    void answer(const http::Request& request);
    void answer_upgrade(const http::Request& request);
    void send_reply(int status, std::string_view content_type, std::string_view body,
                    const Fields& fields, bool keep_alive, bool head, bool http10);
    void refuse_upgrade(int status, std::string_view body, const Fields& fields);
    void begin_websocket(std::string_view key, Upgrade upgrade);
    void on_http_timer(Clock::time_point now);

    // WebSocket (ws_session.cpp)
    std::size_t on_frames(std::span<const uint8_t> data);
    void deliver(std::string_view payload, bool binary);
    bool send_message(ws::Opcode opcode, std::string_view payload);
    bool send_control(ws::Opcode opcode, std::string_view payload);
    void on_peer_close(uint16_t code, std::string_view reason);
    void begin_close(uint16_t code, std::string_view reason, bool enforced,
                     Clock::time_point deadline);
    void fail(uint16_t code, std::string_view reason);
    void on_write_failed();
    void on_ws_timer(Clock::time_point now);

    // Both phases
    bool write(std::string_view bytes);
    void close_connection();
    void arm_timer(Clock::time_point at);
    void on_timer();

    std::shared_ptr<HttpServer::State> state_;
    StreamConnection* connection_; // null once the connection ended
    RequestInfo info_;
    asio::steady_timer timer_;
    Clock::time_point timer_at_{};
    bool timer_armed_ = false;
    Phase phase_ = Phase::Http;
    bool connection_open_ = true; // false once we closed it or a write failed

    // HTTP
    std::optional<http::RequestParser> parser_;
    Clock::time_point request_start_{}; // connection start or the last answer
    bool partial_request_ = false;

    // WebSocket
    std::optional<ws::Decoder> decoder_;
    std::unique_ptr<WebSocketHandler> handler_;
    WsState ws_state_ = WsState::Open;
    Clock::time_point last_rx_{};
    Clock::time_point last_ping_{};
    Clock::time_point close_deadline_{};
    bool counted_ = false;        // counted in HttpCounters::websockets
    bool close_recorded_ = false; // close_code_/close_reason_ hold the outcome
    bool close_enforced_ = false; // the server closed for a reason of its own
    bool close_clean_ = false;    // Close frames were exchanged
    uint16_t close_code_ = ws::close_code::kAbnormal;
    std::string close_reason_;
};

} // namespace rtc::net
