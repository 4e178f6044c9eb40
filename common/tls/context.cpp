#include "tls/context.hpp"

#include "tls/credentials.hpp"
#include "tls/dtls_cookie.hpp"
#include "tls/engine.hpp"
#include "tls/rng.hpp"

#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <stdexcept>

namespace rtc::tls {

struct Context::Parts {
    mbedtls_ssl_config conf;
    mbedtls_x509_crt trusted;
    std::vector<std::string> alpn;
    std::vector<const char*> alpn_list; // NULL-terminated, points into `alpn`
    Parts() {
        mbedtls_ssl_config_init(&conf);
        mbedtls_x509_crt_init(&trusted);
    }
    ~Parts() {
        mbedtls_ssl_config_free(&conf);
        mbedtls_x509_crt_free(&trusted);
    }
    Parts(const Parts&) = delete;
    Parts& operator=(const Parts&) = delete;
};

namespace {

[[noreturn]] void fail(const std::string& what, int code) {
    char buf[160] = {};
    mbedtls_strerror(code, buf, sizeof(buf));
    throw std::runtime_error(what + ": " + buf);
}

int transport_of(Transport t) {
    return t == Transport::Stream ? MBEDTLS_SSL_TRANSPORT_STREAM : MBEDTLS_SSL_TRANSPORT_DATAGRAM;
}

void set_alpn(Context::Parts& p, const std::vector<std::string>& alpn) {
    if (alpn.empty())
        return;
    for (const auto& proto : alpn)
        // RFC 7301 §3.1: protocol names are 1 to 255 bytes.
        if (proto.empty() || proto.size() > 255)
            throw std::runtime_error("invalid ALPN protocol name '" + proto + "'");
    p.alpn = alpn;
    for (const auto& proto : p.alpn)
        p.alpn_list.push_back(proto.c_str());
    p.alpn_list.push_back(nullptr);
    const int rc = mbedtls_ssl_conf_alpn_protocols(&p.conf, p.alpn_list.data());
    if (rc != 0)
        fail("cannot set ALPN protocols", rc);
}

void set_common(Context::Parts& p, Transport transport, std::chrono::milliseconds retransmit_min,
                std::chrono::milliseconds retransmit_max) {
    mbedtls_ssl_conf_rng(&p.conf, random_callback, nullptr);
    // RFC 8996: nothing older than TLS 1.2 / DTLS 1.2.
    mbedtls_ssl_conf_min_version(&p.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    if (transport == Transport::Datagram) {
        const auto lo = static_cast<uint32_t>(std::max<int64_t>(1, retransmit_min.count()));
        const auto hi = static_cast<uint32_t>(std::max<int64_t>(lo, retransmit_max.count()));
        mbedtls_ssl_conf_handshake_timeout(&p.conf, lo, hi);
    }
}

// RFC 5764 §4.1.2 profiles in our order of preference (mbedTLS 2.28 has no AEAD ones); the list
// must outlive every config, and the server picks the first of its own it shares with the client.
constexpr mbedtls_ssl_srtp_profile kSrtpProfiles[] = {MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80,
                                                      MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_32,
                                                      MBEDTLS_TLS_SRTP_UNSET};

void set_dtls_srtp(Context::Parts& p, Transport transport) {
    if (transport != Transport::Datagram)
        throw std::runtime_error("DTLS-SRTP needs the datagram transport");
    const int rc = mbedtls_ssl_conf_dtls_srtp_protection_profiles(&p.conf, kSrtpProfiles);
    if (rc != 0)
        fail("cannot set the DTLS-SRTP profiles", rc);
    // Keys are exported per session through this callback (see engine.cpp).
    Engine::install_srtp_key_export(&p.conf);
}

} // namespace

Context::Context(std::unique_ptr<Parts> parts, bool server, Transport transport, uint16_t mtu,
                 std::shared_ptr<const Credentials> credentials, std::shared_ptr<CookieJar> cookies,
                 bool dtls_srtp)
    : parts_(std::move(parts)), server_(server), transport_(transport), mtu_(mtu),
      credentials_(std::move(credentials)), cookies_(std::move(cookies)), dtls_srtp_(dtls_srtp) {}

Context::~Context() = default;

mbedtls_ssl_config* Context::config() const {
    return &parts_->conf;
}

std::shared_ptr<const Context> Context::server(std::shared_ptr<const Credentials> credentials,
                                               const ServerOptions& options) {
    if (!credentials)
        throw std::runtime_error("a TLS server needs a certificate");
    auto p = std::make_unique<Parts>();
    int rc =
        mbedtls_ssl_config_defaults(&p->conf, MBEDTLS_SSL_IS_SERVER,
                                    transport_of(options.transport), MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc != 0)
        fail("cannot configure TLS", rc);
    set_common(*p, options.transport, options.dtls_retransmit_min, options.dtls_retransmit_max);
    rc = mbedtls_ssl_conf_own_cert(&p->conf, credentials->chain(), credentials->key());
    if (rc != 0)
        fail("cannot use the certificate", rc);
    std::shared_ptr<CookieJar> cookies;
    if (options.transport == Transport::Datagram && !options.dtls_cookie_exchange) {
        // No HelloVerifyRequest: the caller vouches for the client's address (ICE).
        mbedtls_ssl_conf_dtls_cookies(&p->conf, nullptr, nullptr, nullptr);
    } else if (options.transport == Transport::Datagram) {
        // RFC 6347 §4.2.1: stateless cookies (HelloVerifyRequest) against spoofed sources; the
        // Context keeps the jar alive for the callbacks.
        cookies = options.dtls_cookies ? options.dtls_cookies : std::make_shared<CookieJar>();
        mbedtls_ssl_conf_dtls_cookies(&p->conf, CookieJar::mbedtls_write, CookieJar::mbedtls_check,
                                      cookies.get());
    }
    if (options.dtls_srtp) {
        set_dtls_srtp(*p, options.transport);
        // WebRTC: ask for the peer's (self-signed) certificate but let the caller judge it by
        // its fingerprint (RFC 8827 §6.5); OPTIONAL keeps a failed chain check non-fatal.
        mbedtls_ssl_conf_authmode(&p->conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
    }
    set_alpn(*p, options.alpn);
    return std::make_shared<const Context>(std::move(p), true, options.transport, options.dtls_mtu,
                                           std::move(credentials), std::move(cookies),
                                           options.dtls_srtp);
}

std::shared_ptr<const Context> Context::client(const ClientOptions& options) {
    auto p = std::make_unique<Parts>();
    int rc =
        mbedtls_ssl_config_defaults(&p->conf, MBEDTLS_SSL_IS_CLIENT,
                                    transport_of(options.transport), MBEDTLS_SSL_PRESET_DEFAULT);
    if (rc != 0)
        fail("cannot configure TLS", rc);
    set_common(*p, options.transport, options.dtls_retransmit_min, options.dtls_retransmit_max);
    if (!options.trusted_pem.empty()) {
        rc = mbedtls_x509_crt_parse(
            &p->trusted, reinterpret_cast<const unsigned char*>(options.trusted_pem.c_str()),
            options.trusted_pem.size() + 1);
        if (rc != 0)
            fail("cannot parse the trusted certificates", rc);
        mbedtls_ssl_conf_ca_chain(&p->conf, &p->trusted, nullptr);
    }
    mbedtls_ssl_conf_authmode(&p->conf, options.verify_peer ? MBEDTLS_SSL_VERIFY_REQUIRED
                                                            : MBEDTLS_SSL_VERIFY_NONE);
    if (options.own) {
        rc = mbedtls_ssl_conf_own_cert(&p->conf, options.own->chain(), options.own->key());
        if (rc != 0)
            fail("cannot use the client certificate", rc);
    }
    if (options.dtls_srtp) {
        set_dtls_srtp(*p, options.transport);
        // RFC 8122 §5: the SDP fingerprint, checked by the caller, authenticates the server.
        mbedtls_ssl_conf_authmode(&p->conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
    }
    set_alpn(*p, options.alpn);
    return std::make_shared<const Context>(std::move(p), false, options.transport, options.dtls_mtu,
                                           options.own, nullptr, options.dtls_srtp);
}

namespace {

ServerOptions with_cookie_jar(ServerOptions options) {
    // One jar for every context this holder builds: a reload keeps handshakes in flight valid.
    if (options.transport == Transport::Datagram && !options.dtls_cookies)
        options.dtls_cookies = std::make_shared<CookieJar>();
    return options;
}

} // namespace

ReloadableContext::ReloadableContext(std::shared_ptr<const Credentials> credentials,
                                     ServerOptions options)
    : options_(with_cookie_jar(std::move(options))),
      current_(Context::server(std::move(credentials), options_)) {}

std::shared_ptr<const Context> ReloadableContext::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void ReloadableContext::reload(std::shared_ptr<const Credentials> credentials) {
    auto next = Context::server(std::move(credentials), options_);
    std::lock_guard lock(mutex_);
    current_.swap(next);
    // The old context dies here or with its last live session.
}

} // namespace rtc::tls
