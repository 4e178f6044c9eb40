#pragma once
// An immutable mbedTLS configuration (mbedtls_ssl_config) shared by many sessions, and a
// holder that swaps it on reload: new handshakes take the new context, live sessions keep the
// one they started with (each Engine holds a shared_ptr to its Context).
//
//   rtc::tls::ServerOptions so;
//   so.alpn = {"stun.turn"};
//   auto holder = std::make_shared<rtc::tls::ReloadableContext>(creds, so);
//   rtc::tls::Engine session(holder->current());         // per connection
//   holder->reload(Credentials::load_pem_files(...));    // on SIGHUP
//
//   rtc::tls::ClientOptions co;                          // rtc-probe, tests
//   co.trusted_pem = creds->chain_pem();
//   auto client = rtc::tls::Context::client(co);
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct mbedtls_ssl_config;

namespace rtc::tls {

class Credentials;
class CookieJar;

enum class Transport { Stream, Datagram }; // TLS over TCP, DTLS over UDP

struct ServerOptions {
    Transport transport = Transport::Stream;
    std::vector<std::string> alpn; // in order of preference (RFC 7301); empty: no ALPN
    uint16_t dtls_mtu = 1200;      // largest datagram the engine emits (DTLS only)
    std::chrono::milliseconds dtls_retransmit_min{1000}; // RFC 6347 §4.2.4.1 timer bounds
    std::chrono::milliseconds dtls_retransmit_max{60000};
    // DTLS: the secrets of the stateless cookies (RFC 6347 §4.2.1). Share one jar between the
    // context and the server's front door (dtls_server) so both accept the same cookies. Null:
    // the context makes its own (ReloadableContext stores it here, kept across reloads).
    std::shared_ptr<CookieJar> dtls_cookies;
    // DTLS: false skips the HelloVerifyRequest round trip (RFC 6347 §4.2.1), for a server whose
    // caller has already checked the client's address (ICE connectivity checks, RFC 8445).
    // No jar is used then and Engine::set_peer_id() becomes optional.
    bool dtls_cookie_exchange = true;
    // DTLS-SRTP (RFC 5764 §4.1.1): accept use_srtp with SRTP_AES128_CM_HMAC_SHA1_80, then _32.
    // Also asks the client for a certificate (WebRTC peers always send a self-signed one) and
    // accepts it unverified: the caller checks Engine::peer_fingerprint_sha256() against the
    // SDP fingerprint (RFC 8122 §5, RFC 8827 §6.5).
    bool dtls_srtp = false;
};

struct ClientOptions {
    Transport transport = Transport::Stream;
    std::vector<std::string> alpn;
    // PEM trust anchors (CA certificates or a self-signed leaf). Empty with verify_peer: every
    // certificate fails verification.
    std::string trusted_pem;
    bool verify_peer = true;
    std::shared_ptr<const Credentials> own; // client certificate, optional (DTLS-SRTP)
    uint16_t dtls_mtu = 1200;
    std::chrono::milliseconds dtls_retransmit_min{1000};
    std::chrono::milliseconds dtls_retransmit_max{60000};
    // DTLS-SRTP (RFC 5764 §4.1.1): offer use_srtp with SRTP_AES128_CM_HMAC_SHA1_80, then _32.
    // The server certificate is then accepted unverified whatever verify_peer says: the caller
    // checks Engine::peer_fingerprint_sha256() against the SDP fingerprint (RFC 8122 §5).
    bool dtls_srtp = false;
};

class Context {
public:
    // Both throw std::runtime_error with a one-line reason.
    static std::shared_ptr<const Context> server(std::shared_ptr<const Credentials> credentials,
                                                 const ServerOptions& options);
    static std::shared_ptr<const Context> client(const ClientOptions& options);
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    bool is_server() const { return server_; }
    Transport transport() const { return transport_; }
    uint16_t mtu() const { return mtu_; }
    const std::shared_ptr<const Credentials>& credentials() const { return credentials_; }
    // For mbedtls_ssl_setup(); mbedTLS reads it concurrently from every session.
    mbedtls_ssl_config* config() const;

    // DTLS server: the jar behind its cookie callbacks; null otherwise.
    const std::shared_ptr<CookieJar>& cookies() const { return cookies_; }
    // DTLS server: whether ClientHellos must carry a cookie (ServerOptions::dtls_cookie_exchange).
    bool cookie_exchange() const {
        return server_ && transport_ == Transport::Datagram && cookies_;
    }
    // use_srtp is offered (client) or accepted (server).
    bool dtls_srtp() const { return dtls_srtp_; }

    struct Parts;
    Context(std::unique_ptr<Parts> parts, bool server, Transport transport, uint16_t mtu,
            std::shared_ptr<const Credentials> credentials,
            std::shared_ptr<CookieJar> cookies = nullptr, bool dtls_srtp = false);

private:
    std::unique_ptr<Parts> parts_;
    bool server_;
    Transport transport_;
    uint16_t mtu_;
    std::shared_ptr<const Credentials> credentials_;
    std::shared_ptr<CookieJar> cookies_;
    bool dtls_srtp_ = false;
};

// Thread-safe holder of the current server context.
class ReloadableContext {
public:
    // Throws like Context::server.
    ReloadableContext(std::shared_ptr<const Credentials> credentials, ServerOptions options);
    std::shared_ptr<const Context> current() const;
    // Builds the new context first: on failure it throws and the old one stays in use.
    void reload(std::shared_ptr<const Credentials> credentials);
    const ServerOptions& options() const { return options_; }

private:
    ServerOptions options_;
    mutable std::mutex mutex_;
    std::shared_ptr<const Context> current_;
};

} // namespace rtc::tls
