#pragma once
// A WebSocket client (RFC 6455) for ws:// and wss:// URLs on Asio: name resolution, TCP, TLS
// through mbedTLS (SNI, trust anchors or `insecure`), the opening handshake, message callbacks,
// optional pings, bounded output and a clean close. Everything runs on the io_context's thread,
// callbacks included; on_close runs exactly once, never from inside a call to the client.
//
//   rtc::net::WsClientOptions options;
//   options.url = "wss://localhost:8443/room?id=alice";
//   options.insecure = true;                             // a `--cert auto` test server
//   auto ws = rtc::net::WsClient::connect(io, options, {
//       .on_open = [&] { ws->send_text(R"({"type":"message","data":1})"); },
//       .on_message = [](std::string_view data, bool binary) { ... },
//       .on_close = [](uint16_t code, std::string_view reason, std::string_view error) { ... }});
//   io.run();
//
// The client stays alive while its connection does (pending operations hold it): end it with
// close().
#include "util/ip_address.hpp"
#include "ws/frame.hpp"
#include "ws/url.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtc::tls {
class Context;
class Engine;
} // namespace rtc::tls

namespace rtc::net {

struct WsClientOptions {
    std::string url;    // ws://HOST[:PORT]/PATH?QUERY or wss://...; HOST may be [IPv6]
    std::string origin; // Origin field, omitted when empty
    std::vector<std::pair<std::string, std::string>> headers; // e.g. Authorization
    std::vector<std::string> protocols;                       // Sec-WebSocket-Protocol offers
    // wss trust, in this order: `tls_context` (shared by many clients), `insecure` (accept any
    // certificate, as a `--cert auto` server needs), `trusted_pem` (PEM text),
    // `trusted_pem_file`, else the system's CA bundle. Server names are checked against the
    // certificate; IP addresses against its iPAddress entries.
    std::shared_ptr<const tls::Context> tls_context;
    bool insecure = false;
    std::string trusted_pem;
    std::string trusted_pem_file;
    // Resolution, TCP, TLS and the HTTP upgrade together.
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
    // How long a close waits for the server's Close and the end of the connection.
    std::chrono::milliseconds close_timeout{std::chrono::seconds(5)};
    std::size_t max_message = 1 << 20; // received message after reassembly; more: 1009
    std::size_t max_output = 4 << 20;  // unsent bytes; send_* refuses what would pass it
    // A Ping after this much silence from the server; the connection is given up after twice
    // as much. Zero: no pings (the server's pings are always answered).
    std::chrono::milliseconds ping_interval{0};
};

// The system's CA bundle (Debian's ca-certificates).
inline constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

class WsClient : public std::enable_shared_from_this<WsClient> {
public:
    struct Callbacks {
        std::function<void()> on_open;
        // A whole message; text is valid UTF-8. The view is valid during the call.
        std::function<void(std::string_view data, bool binary)> on_message;
        // code: the server's close code (1005 if its Close had none); the code this client sent
        // when the server broke the protocol; 1006 when the connection failed or dropped.
        // error: empty after a clean Close exchange, else why, e.g. "cannot connect to
        // 127.0.0.1:1: connection refused", "server answered 401 Unauthorized", "TLS: ...".
        std::function<void(uint16_t code, std::string_view reason, std::string_view error)>
            on_close;
    };

    // Starts connecting at once. Never throws for runtime problems (a bad URL included): they
    // arrive through on_close.
    static std::shared_ptr<WsClient> connect(asio::io_context& io, WsClientOptions options,
                                             Callbacks callbacks);
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    // Queue one message. False (and nothing queued) unless open, or if the unsent output would
    // pass max_output; the connection is unaffected, so the caller may retry later.
    bool send_text(std::string_view text);
    bool send_binary(std::string_view data);
    // Open: sends a Close frame and waits (close_timeout) for the server's. Before open:
    // abandons the attempt (on_close gets 1006, "closed before the connection opened").
    void close(uint16_t code = ws::close_code::kNormal, std::string_view reason = {});

    // The status line's code of the server's answer to the upgrade (101 when accepted), 0 before.
    int http_status() const { return http_status_; }
    bool is_open() const { return phase_ == Phase::Open; }
    // The subprotocol the server selected, empty if none.
    const std::string& protocol() const { return protocol_; }
    // The server's address once connected.
    const util::Endpoint& remote() const { return remote_; }
    std::size_t buffered_output() const { return pending_.size() + writing_.size(); }

    struct Private;
    WsClient(asio::io_context& io, WsClientOptions options, Callbacks callbacks, const Private&);

private:
    enum class Phase { Resolving, Connecting, Handshaking, Open, Closing, Draining, Done };
    using Clock = std::chrono::steady_clock;

    void start();
    bool make_tls_context();
    void on_resolved(const std::error_code& ec, asio::ip::tcp::resolver::results_type results);
    void on_connected(const std::error_code& ec, const asio::ip::tcp::endpoint& endpoint);
    void wait_readable();
    void on_readable(const std::error_code& ec);
    void on_bytes(std::span<const uint8_t> data);
    void on_tls_bytes(std::span<const uint8_t> data);
    bool check_tls();
    std::size_t process(std::span<const uint8_t> data);
    std::size_t process_head(std::string_view data);
    void on_end_of_stream(const std::error_code& ec);
    bool queue_frame(ws::Opcode opcode, std::string_view payload, bool limited);
    // Appends a frame through `write(std::string&)`; `limited`: refused past max_output.
    template <class Write> bool queue(std::size_t payload_size, bool limited, Write&& write);
    void move_tls_output();
    void start_write();
    void on_written(const std::error_code& ec);
    void arm_timer(std::chrono::milliseconds after);
    void on_timer();
    void arm_ping();
    void on_ping_timer();
    void begin_drain();
    void notify_close(uint16_t code, std::string_view reason, std::string error);
    void fail(std::string error);
    void teardown();

    asio::io_context& io_;
    WsClientOptions options_;
    Callbacks callbacks_;
    asio::ip::tcp::resolver resolver_;
    asio::ip::tcp::socket socket_;
    asio::steady_timer timer_; // connect, close and drain deadlines
    asio::steady_timer ping_timer_;
    uint64_t timer_generation_ = 0; // a stale expiry (already queued when re-armed) is ignored
    std::shared_ptr<const tls::Context> tls_context_;
    std::unique_ptr<tls::Engine> tls_;
    bool tls_checked_ = false;
    ws::Url url_;
    std::string key_;
    ws::Decoder decoder_;
    Phase phase_ = Phase::Resolving;
    int http_status_ = 0;
    std::string protocol_;
    util::Endpoint remote_;
    std::string input_;   // plain TCP: received bytes not consumed yet (at most one frame)
    std::string pending_; // bytes for the next write
    std::string writing_; // owned by the write in flight
    std::string frame_;   // TLS: one frame before encryption
    bool write_active_ = false;
    bool read_active_ = false;
    bool notified_ = false;
    bool ping_outstanding_ = false;
    Clock::time_point last_rx_{};
};

} // namespace rtc::net
