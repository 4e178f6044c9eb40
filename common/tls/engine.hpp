#pragma once
// A sans-I/O TLS / DTLS session over mbedTLS: ciphertext in, plaintext and ciphertext out.
// No sockets, no clock: the caller passes the time and drives DTLS retransmissions through
// next_deadline() / on_timer().
//
//   rtc::tls::Engine tls(holder->current());            // server side of one connection
//   tls.feed(bytes_from_socket, now);
//   for (auto out = tls.pending_output(); !out.empty(); out = tls.pending_output()) {
//       socket_write(out);                               // Datagram: one datagram per call
//       tls.consume_output();
//   }
//   auto plain = tls.pending_plaintext();                // Stream: all bytes; Datagram: a record
//   tls.consume_plaintext(handler(plain));
//   tls.write(reply);                                    // then drain pending_output() again
//   if (auto d = tls.next_deadline()) arm_timer(*d);     // DTLS: then tls.on_timer(now)
//
// For a DTLS server, call set_peer_id() with the client's transport address first: the
// cookie exchange (RFC 6347 §4.2.1) binds the cookie to it. A client starts with start(now).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct mbedtls_ssl_context;

namespace rtc::tls {

class Context;

enum class EngineState {
    Handshaking,
    Open,   // handshake done; application data flows
    Closed, // close_notify sent or received (or the stream ended)
    Failed, // fatal error; see error()
};

class Engine {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // Throws std::runtime_error only if mbedTLS cannot allocate the session.
    explicit Engine(std::shared_ptr<const Context> context);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Server + Datagram: the peer's address bytes (e.g. IP and port) for the DTLS cookie.
    void set_peer_id(std::span<const uint8_t> id);
    // Client: SNI and the name checked against the server certificate.
    void set_server_name(const std::string& name);
    // Client: sends the ClientHello. Servers need not call it.
    void start(TimePoint now);

    // Ciphertext from the network. Datagram transport: exactly one datagram per call.
    void feed(std::span<const uint8_t> ciphertext, TimePoint now);
    // Application data. Stream: buffered until the handshake completes. Datagram: one record
    // per call, false unless Open (or if larger than the MTU allows).
    bool write(std::span<const uint8_t> plaintext);
    // Sends close_notify (RFC 5246 §7.2.1) and moves to Closed.
    void close();
    // DTLS retransmission deadline, if a timer runs.
    std::optional<TimePoint> next_deadline() const;
    void on_timer(TimePoint now);

    // Ciphertext to send. Stream: everything pending, contiguous. Datagram: the next datagram.
    std::span<const uint8_t> pending_output() const;
    void consume_output();
    // Decrypted data. Stream: everything received so far; consume any prefix. Datagram: the
    // next record; consume_plaintext() drops it whole whatever `n` is.
    std::span<const uint8_t> pending_plaintext() const;
    void consume_plaintext(std::size_t n);

    EngineState state() const { return state_; }
    bool is_open() const { return state_ == EngineState::Open; }
    // The negotiated ALPN protocol (RFC 7301), empty if none.
    std::string_view alpn() const { return alpn_; }
    const std::string& error() const { return error_; }
    // For extensions used later (DTLS-SRTP keys, peer certificate).
    mbedtls_ssl_context* native();

    struct Impl;

private:
    void pump();
    void fail(int code, const char* where);

    std::unique_ptr<Impl> impl_;
    EngineState state_ = EngineState::Handshaking;
    std::string alpn_;
    std::string error_;
};

} // namespace rtc::tls
