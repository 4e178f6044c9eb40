#pragma once
// An HTTP/1.1 server (plain or TLS) whose requests the tool answers, and whose WebSocket
// upgrades (RFC 6455) become message-level sessions with server pings and every limit bounded.
// Built on StreamServer; everything runs on the io_context's thread.
//
//   struct App : rtc::net::HttpApp {
//       HttpReply on_request(const http::Request& r, const RequestInfo&) override {
//           return {.status = 200, .content_type = "text/plain", .body = "hello"};
//       }
//       Upgrade on_upgrade(const http::Request& r, const RequestInfo&) override {
//           return Upgrade::accept([](WebSocket& ws) { return std::make_unique<Echo>(ws); });
//       }
//   };
//   auto server = rtc::net::HttpServer::start(io, endpoint, app, options);
#include "http/request_parser.hpp"
#include "util/ip_address.hpp"

#include <asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtc::tls {
class ReloadableContext;
}

namespace rtc::net {

class StreamServer;

// A server-side WebSocket session, as its handler sees it. Valid from the factory call until
// its handler's on_close() returns, and never to be used after that (the handler is destroyed
// right after on_close). Use it on the io_context's thread only: from the handler's own
// callbacks, or from another session's (a room broadcast). send/close never call a handler
// back, and close() inside on_message() takes effect without re-entering it.
class WebSocket {
public:
    virtual ~WebSocket() = default;
    // Queues one message. False (and nothing sent) once closing; if the unsent output would pass
    // max_output_bytes the session is closed with 1008 "slow consumer" and false is returned.
    virtual bool send_text(std::string_view text) = 0;
    virtual bool send_binary(std::string_view data) = 0;
    // Sends a Close frame, waits (bounded) for the peer's, then closes the connection.
    virtual void close(uint16_t code, std::string_view reason = {}) = 0;
    virtual const util::Endpoint& remote() const = 0;
    virtual bool is_tls() const = 0;
    // Output queued and not yet written to the socket (0 while StreamConnection cannot say).
    virtual std::size_t buffered_output() const = 0;
};

class WebSocketHandler {
public:
    virtual ~WebSocketHandler() = default;
    // A whole message (text is valid UTF-8); `data` is valid during the call only. May call
    // send/close on this socket or any other.
    virtual void on_message(std::string_view data, bool binary) = 0;
    // Called once when the session ends, however it ends. `code` is what the peer sent
    // (kNoStatus if none), what the server sent on a protocol error or timeout, or kAbnormal
    // (1006) when the connection dropped without a Close. `clean` is true when Close frames were
    // exchanged (a peer that left on purpose), false when it dropped, timed out or misbehaved.
    // Runs from the event loop on its own (never inside on_message or a send). The details are
    // at the top of net/ws_session.cpp.
    virtual void on_close(uint16_t code, std::string_view reason, bool clean) = 0;
};

struct RequestInfo {
    util::Endpoint remote;
    bool tls = false;
};

struct HttpReply {
    int status = 200;
    std::string content_type;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; // extra fields
};

struct Upgrade {
    // Accepts: the factory is called once the 101 is queued.
    using Factory = std::function<std::unique_ptr<WebSocketHandler>(WebSocket&)>;
    static Upgrade accept(Factory factory, std::string protocol = {}) {
        Upgrade u;
        u.factory = std::move(factory);
        u.protocol = std::move(protocol);
        return u;
    }
    static Upgrade refuse(HttpReply reply) {
        Upgrade u;
        u.refusal = std::move(reply);
        return u;
    }
    Factory factory;                  // set: accept
    std::string protocol;             // Sec-WebSocket-Protocol to answer, empty for none
    std::optional<HttpReply> refusal; // set: answer this and close
};

class HttpApp {
public:
    virtual ~HttpApp() = default;
    // Every request that is not a WebSocket upgrade (HEAD is answered like GET without body).
    virtual HttpReply on_request(const http::Request& request, const RequestInfo& info) = 0;
    // An upgrade request that passed RFC 6455 §4.2.1 (malformed ones get 400/426 without this
    // call). Decide on the path, query, Origin, credentials.
    virtual Upgrade on_upgrade(const http::Request& request, const RequestInfo& info) = 0;
};

struct HttpServerOptions {
    std::shared_ptr<tls::ReloadableContext> tls; // null: plain HTTP
    std::size_t max_connections = 10000;
    bool reuse_port = false;
    http::ParserLimits request_limits{};
    std::chrono::milliseconds request_timeout{std::chrono::seconds(15)}; // idle HTTP keep-alive
    std::size_t max_message = 64 * 1024;        // WebSocket message, after reassembly
    std::size_t max_output_bytes = 1024 * 1024; // unsent WebSocket output per session
    // A Ping after `ping_interval` of silence from the peer; closed with 1001 "ping timeout"
    // when nothing at all arrives for 2 x ping_interval. Zero disables both.
    std::chrono::milliseconds ping_interval{std::chrono::seconds(20)};
    std::chrono::milliseconds close_timeout{std::chrono::seconds(5)}; // waiting for Close reply
};

struct HttpServerStats {
    uint64_t connections = 0;     // open TCP/TLS connections
    uint64_t websockets = 0;      // open WebSocket sessions
    uint64_t requests = 0;        // HTTP requests answered (upgrades included)
    uint64_t bad_requests = 0;    // malformed HTTP (4xx from the parser or the upgrade check)
    uint64_t protocol_errors = 0; // WebSocket sessions closed for a framing error (1002/1007)
    uint64_t too_big = 0;         // closed with 1009
    uint64_t slow_consumers = 0;  // closed for max_output_bytes
    uint64_t ping_timeouts = 0;   // closed for silence
    uint64_t messages_in = 0;
    uint64_t messages_out = 0;
    uint64_t rejected = 0; // over max_connections, or the TLS handshake failed
};

class HttpServer {
public:
    // Binds and accepts. Throws std::system_error. `app` must outlive the server and its
    // sessions: stop() and wait for `done` (or stop the io_context) before destroying it.
    // Destroying the handle does not stop the server.
    static std::shared_ptr<HttpServer> start(asio::io_context& io, const util::Endpoint& listen,
                                             HttpApp& app, HttpServerOptions options = {});
    ~HttpServer();
    util::Endpoint local_endpoint() const;
    // Sends 1001 "going away" to every WebSocket, closes idle HTTP connections and refuses new
    // ones, waits for the WebSockets' Close answers (each up to close_timeout), stops accepting
    // and ends every connection within `grace`; `done` runs on the io_context once none remains.
    // Safe from any thread; a second call waits for the first.
    void stop(std::chrono::milliseconds grace = std::chrono::seconds(5),
              std::function<void()> done = {});
    HttpServerStats stats() const;

    struct State;
    explicit HttpServer(std::shared_ptr<State> state);

private:
    std::shared_ptr<State> state_;
};

} // namespace rtc::net
