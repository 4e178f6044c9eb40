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
// cookie exchange (RFC 6347 §4.2.1) binds the cookie to it (not needed when the context was
// built with dtls_cookie_exchange = false). A client starts with start(now).
//
// DTLS-SRTP (RFC 5764; contexts built with dtls_srtp = true), once is_open():
//   auto keys = tls.srtp_keying();                      // nullopt: the peer refused use_srtp
//   if (!keys || !same_fingerprint(tls.peer_fingerprint_sha256(), sdp_fp)) drop(); // RFC 8122
//   rtc::srtp::Session srtp(*keys, rtc::srtp::Role::DtlsServer);
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

struct mbedtls_ssl_context;
struct mbedtls_ssl_config;

namespace rtc::tls {

class Context;

// DTLS-SRTP protection profiles mbedTLS 2.28 offers (RFC 5764 §4.1.2, IANA values).
enum class SrtpProfile : uint16_t {
    Aes128CmHmacSha1_80 = 0x0001,
    Aes128CmHmacSha1_32 = 0x0002,
};

// The keys exported after a DTLS-SRTP handshake (RFC 5764 §4.2): 2 * (16 + 14) bytes of
// TLS-Exporter("EXTRACTOR-dtls_srtp") split as client_key | server_key | client_salt |
// server_salt. "client" is the DTLS client, whatever the ICE or SDP roles.
struct SrtpKeyingMaterial {
    static constexpr std::size_t kKeySize = 16;  // AES-128 master key
    static constexpr std::size_t kSaltSize = 14; // master salt
    SrtpProfile profile = SrtpProfile::Aes128CmHmacSha1_80;
    std::array<uint8_t, kKeySize> client_key{};
    std::array<uint8_t, kKeySize> server_key{};
    std::array<uint8_t, kSaltSize> client_salt{};
    std::array<uint8_t, kSaltSize> server_salt{};
    friend bool operator==(const SrtpKeyingMaterial&, const SrtpKeyingMaterial&) = default;
};

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
    // DTLS-SRTP (RFC 5764): the negotiated profile and exported keys once Open; nullopt before,
    // if the context has dtls_srtp off, or if the peer did not agree on use_srtp.
    std::optional<SrtpKeyingMaterial> srtp_keying() const;
    // SHA-256 of the peer certificate's DER, "AB:CD:..." (RFC 8122 §5); empty if the peer sent
    // none. With dtls_srtp the certificate is not verified by mbedTLS: compare this with the
    // SDP a=fingerprint (RFC 8827 §6.5) before trusting the session.
    std::string peer_fingerprint_sha256() const;
    // For extensions used later (DTLS-SRTP keys, peer certificate).
    mbedtls_ssl_context* native();
    // For Context: routes the config's key-export callback to the Engine whose handshake runs.
    static void install_srtp_key_export(mbedtls_ssl_config* conf);

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
