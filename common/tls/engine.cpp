#include "tls/engine.hpp"

#include "tls/context.hpp"
#include "tls/credentials.hpp"

#include <mbedtls/error.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace rtc::tls {

namespace {

// Largest plaintext a single record can carry (RFC 5246 §6.2.1).
constexpr std::size_t kMaxRecordPlaintext = 16384;
// Bounds the handshake/read loop of one pump() call.
constexpr int kMaxPumpRounds = 64;

// A growable FIFO of bytes that reuses its storage: it allocates only when it grows.
class ByteQueue {
public:
    std::size_t size() const { return end_ - begin_; }
    bool empty() const { return begin_ == end_; }
    const uint8_t* data() const { return data_.get() + begin_; }

    std::span<uint8_t> prepare(std::size_t n) {
        if (cap_ - end_ < n) {
            if (begin_ > 0 && cap_ - size() >= n) {
                std::memmove(data_.get(), data_.get() + begin_, size());
            } else {
                std::size_t cap = std::max<std::size_t>(cap_ * 2, 4096);
                while (cap - size() < n)
                    cap *= 2;
                auto next = std::make_unique<uint8_t[]>(cap);
                if (!empty())
                    std::memcpy(next.get(), data_.get() + begin_, size());
                data_ = std::move(next);
                cap_ = cap;
            }
            end_ -= begin_;
            begin_ = 0;
        }
        return {data_.get() + end_, n};
    }
    void commit(std::size_t n) { end_ += n; }
    void append(std::span<const uint8_t> bytes) {
        if (bytes.empty())
            return;
        std::memcpy(prepare(bytes.size()).data(), bytes.data(), bytes.size());
        commit(bytes.size());
    }
    void consume(std::size_t n) {
        begin_ += std::min(n, size());
        if (begin_ == end_)
            begin_ = end_ = 0;
    }
    void clear() { begin_ = end_ = 0; }

private:
    std::unique_ptr<uint8_t[]> data_;
    std::size_t cap_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

// Bytes, optionally split into messages (datagrams or records) kept apart.
class MessageQueue {
public:
    explicit MessageQueue(bool framed) : framed_(framed) {}
    bool empty() const { return bytes_.empty() && head_ == sizes_.size(); }
    void push(std::span<const uint8_t> msg) {
        bytes_.append(msg);
        if (framed_)
            sizes_.push_back(static_cast<uint32_t>(msg.size()));
    }
    std::span<uint8_t> prepare(std::size_t n) { return bytes_.prepare(n); }
    void commit(std::size_t n) {
        bytes_.commit(n);
        if (framed_)
            sizes_.push_back(static_cast<uint32_t>(n));
    }
    std::span<const uint8_t> front() const {
        if (!framed_)
            return {bytes_.data(), bytes_.size()};
        if (head_ == sizes_.size())
            return {};
        return {bytes_.data(), sizes_[head_]};
    }
    void consume(std::size_t n) {
        if (!framed_) {
            bytes_.consume(n);
            return;
        }
        if (head_ == sizes_.size())
            return;
        bytes_.consume(sizes_[head_++]);
        if (head_ == sizes_.size()) {
            sizes_.clear();
            head_ = 0;
            bytes_.clear();
        }
    }
    void clear() {
        bytes_.clear();
        sizes_.clear();
        head_ = 0;
    }

private:
    bool framed_;
    ByteQueue bytes_;
    std::vector<uint32_t> sizes_;
    std::size_t head_ = 0;
};

bool want_io(int rc) {
    return rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE;
}

} // namespace

struct Engine::Impl {
    std::shared_ptr<const Context> context;
    mbedtls_ssl_context ssl;
    bool datagram;
    TimePoint now{};
    bool timer_active = false;
    TimePoint timer_intermediate{};
    TimePoint timer_final{};
    std::vector<uint8_t> peer_id;
    std::string server_name;

    ByteQueue input;                      // Stream: ciphertext not yet read by mbedTLS
    std::span<const uint8_t> datagram_in; // Datagram: the datagram being fed
    MessageQueue output;                  // ciphertext to send
    MessageQueue plaintext;               // decrypted application data
    ByteQueue early_writes;               // Stream: plaintext written during the handshake

    // DTLS-SRTP: the exporter output of the last key derivation (RFC 5764 §4.2), then the
    // keying material once the handshake is done.
    std::array<uint8_t, 2 * (SrtpKeyingMaterial::kKeySize + SrtpKeyingMaterial::kSaltSize)>
        srtp_export{};
    bool srtp_exported = false;
    std::optional<SrtpKeyingMaterial> srtp_keying;

    explicit Impl(std::shared_ptr<const Context> ctx)
        : context(std::move(ctx)), datagram(context->transport() == Transport::Datagram),
          output(datagram), plaintext(datagram) {
        mbedtls_ssl_init(&ssl);
    }
    ~Impl() {
        mbedtls_ssl_free(&ssl);
        mbedtls_platform_zeroize(srtp_export.data(), srtp_export.size());
        if (srtp_keying)
            mbedtls_platform_zeroize(&*srtp_keying, sizeof(*srtp_keying));
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    static int on_send(void* self, const unsigned char* buf, std::size_t len) {
        static_cast<Impl*>(self)->output.push({buf, len});
        return static_cast<int>(len);
    }

    static int on_recv(void* self, unsigned char* buf, std::size_t len) {
        auto* impl = static_cast<Impl*>(self);
        if (impl->datagram) {
            const auto d = impl->datagram_in;
            impl->datagram_in = {};
            // An empty or oversized datagram is dropped: mbedTLS sees "nothing yet".
            if (d.empty() || d.size() > len)
                return MBEDTLS_ERR_SSL_WANT_READ;
            std::memcpy(buf, d.data(), d.size());
            return static_cast<int>(d.size());
        }
        if (impl->input.empty())
            return MBEDTLS_ERR_SSL_WANT_READ;
        const std::size_t n = std::min(len, impl->input.size());
        std::memcpy(buf, impl->input.data(), n);
        impl->input.consume(n);
        return static_cast<int>(n);
    }

    // mbedtls_ssl_set_timer_cb(): the timer runs on the caller's clock (`now`).
    static void set_timer(void* self, uint32_t intermediate_ms, uint32_t final_ms) {
        auto* impl = static_cast<Impl*>(self);
        if (final_ms == 0) {
            impl->timer_active = false;
            return;
        }
        impl->timer_active = true;
        impl->timer_intermediate = impl->now + std::chrono::milliseconds(intermediate_ms);
        impl->timer_final = impl->now + std::chrono::milliseconds(final_ms);
    }

    static int get_timer(void* self) {
        auto* impl = static_cast<Impl*>(self);
        if (!impl->timer_active)
            return -1;
        if (impl->now >= impl->timer_final)
            return 2;
        if (impl->now >= impl->timer_intermediate)
            return 1;
        return 0;
    }
};

namespace {

// mbedTLS 2.28 has only the config-level mbedtls_ssl_conf_export_keys_ext_cb(), whose context
// pointer is shared by every session of the (shared) config, and the randoms it needs are freed
// with the handshake state. But the callback runs synchronously inside mbedtls_ssl_handshake(),
// on the thread of the Engine driving it: pump() publishes its Impl in this thread-local slot
// for the duration of the call, so the callback writes into the right session.
thread_local Engine::Impl* t_pumping = nullptr;

class PumpScope {
public:
    explicit PumpScope(Engine::Impl* impl) : previous_(t_pumping) { t_pumping = impl; }
    ~PumpScope() { t_pumping = previous_; }
    PumpScope(const PumpScope&) = delete;
    PumpScope& operator=(const PumpScope&) = delete;

private:
    Engine::Impl* previous_;
};

// mbedtls_ssl_export_keys_ext_t: called once per key derivation with the master secret.
int export_srtp_keys(void*, const unsigned char* master_secret, const unsigned char*, std::size_t,
                     std::size_t, std::size_t, const unsigned char client_random[32],
                     const unsigned char server_random[32], mbedtls_tls_prf_types prf) {
    Engine::Impl* impl = t_pumping;
    if (impl == nullptr)
        return 0;
    // RFC 5705 §4 with no context: PRF(master_secret, label, client_random ‖ server_random);
    // RFC 5764 §4.2 names the label.
    std::array<unsigned char, 64> seed;
    std::memcpy(seed.data(), client_random, 32);
    std::memcpy(seed.data() + 32, server_random, 32);
    const int rc =
        mbedtls_ssl_tls_prf(prf, master_secret, 48, "EXTRACTOR-dtls_srtp", seed.data(), seed.size(),
                            impl->srtp_export.data(), impl->srtp_export.size());
    impl->srtp_exported = rc == 0;
    return rc;
}

// The negotiated profile and the exporter output split as RFC 5764 §4.2 orders it.
std::optional<SrtpKeyingMaterial> srtp_keying_of(mbedtls_ssl_context* ssl,
                                                 const Engine::Impl& impl) {
    if (!impl.srtp_exported)
        return std::nullopt;
    mbedtls_dtls_srtp_info info;
    mbedtls_ssl_get_dtls_srtp_negotiation_result(ssl, &info);
    SrtpKeyingMaterial keys;
    switch (info.chosen_dtls_srtp_profile) {
    case MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80:
        keys.profile = SrtpProfile::Aes128CmHmacSha1_80;
        break;
    case MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_32:
        keys.profile = SrtpProfile::Aes128CmHmacSha1_32;
        break;
    default:
        return std::nullopt; // the peer did not offer or accept use_srtp
    }
    const uint8_t* p = impl.srtp_export.data();
    std::memcpy(keys.client_key.data(), p, keys.client_key.size());
    p += keys.client_key.size();
    std::memcpy(keys.server_key.data(), p, keys.server_key.size());
    p += keys.server_key.size();
    std::memcpy(keys.client_salt.data(), p, keys.client_salt.size());
    p += keys.client_salt.size();
    std::memcpy(keys.server_salt.data(), p, keys.server_salt.size());
    return keys;
}

} // namespace

void Engine::install_srtp_key_export(mbedtls_ssl_config* conf) {
    mbedtls_ssl_conf_export_keys_ext_cb(conf, export_srtp_keys, nullptr);
}

std::optional<SrtpKeyingMaterial> Engine::srtp_keying() const {
    return impl_->srtp_keying;
}

std::string Engine::peer_fingerprint_sha256() const {
    const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(&impl_->ssl);
    if (peer == nullptr || peer->raw.p == nullptr || peer->raw.len == 0)
        return {};
    return fingerprint_sha256({peer->raw.p, peer->raw.len});
}

Engine::Engine(std::shared_ptr<const Context> context) {
    if (!context)
        throw std::runtime_error("TLS engine without a context");
    impl_ = std::make_unique<Impl>(std::move(context));
    const int rc = mbedtls_ssl_setup(&impl_->ssl, impl_->context->config());
    if (rc != 0)
        throw std::runtime_error("cannot create a TLS session");
    mbedtls_ssl_set_bio(&impl_->ssl, impl_.get(), Impl::on_send, Impl::on_recv, nullptr);
    if (impl_->datagram) {
        mbedtls_ssl_set_timer_cb(&impl_->ssl, impl_.get(), Impl::set_timer, Impl::get_timer);
        if (impl_->context->mtu() != 0)
            mbedtls_ssl_set_mtu(&impl_->ssl, impl_->context->mtu());
    }
}

Engine::~Engine() = default;

mbedtls_ssl_context* Engine::native() {
    return &impl_->ssl;
}

void Engine::set_peer_id(std::span<const uint8_t> id) {
    impl_->peer_id.assign(id.begin(), id.end());
    if (impl_->datagram && impl_->context->is_server())
        mbedtls_ssl_set_client_transport_id(&impl_->ssl, impl_->peer_id.data(),
                                            impl_->peer_id.size());
}

void Engine::set_server_name(const std::string& name) {
    impl_->server_name = name;
    mbedtls_ssl_set_hostname(&impl_->ssl, name.empty() ? nullptr : impl_->server_name.c_str());
}

void Engine::start(TimePoint now) {
    impl_->now = now;
    pump();
}

void Engine::feed(std::span<const uint8_t> ciphertext, TimePoint now) {
    impl_->now = now;
    if (state_ == EngineState::Failed || state_ == EngineState::Closed)
        return;
    if (impl_->datagram && impl_->context->cookie_exchange() && impl_->peer_id.empty()) {
        // RFC 6347 §4.2.1: the cookie is bound to the client's address, so it must be known.
        error_ = "DTLS server session without set_peer_id()";
        state_ = EngineState::Failed;
        return;
    }
    if (impl_->datagram)
        impl_->datagram_in = ciphertext;
    else
        impl_->input.append(ciphertext);
    pump();
    impl_->datagram_in = {};
}

void Engine::on_timer(TimePoint now) {
    impl_->now = now;
    if (state_ == EngineState::Handshaking || state_ == EngineState::Open)
        pump();
}

std::optional<Engine::TimePoint> Engine::next_deadline() const {
    if (!impl_->timer_active || state_ == EngineState::Failed || state_ == EngineState::Closed)
        return std::nullopt;
    return impl_->timer_final;
}

void Engine::fail(int code, const char* where) {
    char buf[160] = {};
    mbedtls_strerror(code, buf, sizeof(buf));
    error_ = std::string(where) + ": " + buf;
    state_ = EngineState::Failed;
    impl_->timer_active = false;
}

void Engine::pump() {
    mbedtls_ssl_context* ssl = &impl_->ssl;
    const PumpScope scope(impl_.get());
    // Rounds are state changes (handshake done, client reconnect); each is rare.
    for (int round = 0; round < kMaxPumpRounds; ++round) {
        if (state_ == EngineState::Handshaking) {
            const int rc = mbedtls_ssl_handshake(ssl);
            if (want_io(rc))
                return;
            if (rc == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
                // RFC 6347 §4.2.1: the HelloVerifyRequest is queued; start over statelessly.
                mbedtls_ssl_session_reset(ssl);
                if (!impl_->peer_id.empty())
                    mbedtls_ssl_set_client_transport_id(ssl, impl_->peer_id.data(),
                                                        impl_->peer_id.size());
                return;
            }
            if (rc != 0) {
                fail(rc, "TLS handshake failed");
                return;
            }
            state_ = EngineState::Open;
            const char* proto = mbedtls_ssl_get_alpn_protocol(ssl);
            alpn_ = proto ? proto : "";
            if (impl_->context->dtls_srtp())
                impl_->srtp_keying = srtp_keying_of(ssl, *impl_);
            mbedtls_platform_zeroize(impl_->srtp_export.data(), impl_->srtp_export.size());
            impl_->srtp_exported = false;
            if (!impl_->early_writes.empty()) {
                const bool ok = write({impl_->early_writes.data(), impl_->early_writes.size()});
                impl_->early_writes.clear();
                if (!ok)
                    return;
            }
        }
        if (state_ != EngineState::Open)
            return;
        // Every successful read consumes fed ciphertext, so this loop ends with the input.
        int rc = 0;
        for (;;) {
            auto space = impl_->plaintext.prepare(kMaxRecordPlaintext);
            rc = mbedtls_ssl_read(ssl, space.data(), space.size());
            if (rc <= 0)
                break;
            impl_->plaintext.commit(static_cast<std::size_t>(rc));
        }
        if (want_io(rc))
            return;
        if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            // RFC 5246 §7.2.1: answer close_notify with close_notify.
            mbedtls_ssl_close_notify(ssl);
            state_ = EngineState::Closed;
            impl_->timer_active = false;
            return;
        }
        if (rc == MBEDTLS_ERR_SSL_CLIENT_RECONNECT) {
            // RFC 6347 §4.2.8: a new ClientHello from the same address; mbedTLS has reset the
            // session and kept the ClientHello, so handshake again.
            state_ = EngineState::Handshaking;
            alpn_.clear();
            impl_->srtp_keying.reset();
            continue;
        }
        fail(rc, "TLS read failed");
        return;
    }
}

bool Engine::write(std::span<const uint8_t> plaintext) {
    if (state_ == EngineState::Handshaking && !impl_->datagram) {
        impl_->early_writes.append(plaintext);
        return true;
    }
    if (state_ != EngineState::Open)
        return false;
    if (impl_->datagram) {
        const int rc = mbedtls_ssl_write(&impl_->ssl, plaintext.data(), plaintext.size());
        if (rc == MBEDTLS_ERR_SSL_BAD_INPUT_DATA)
            return false; // larger than a record or the MTU allows
        if (rc < 0) {
            fail(rc, "TLS write failed");
            return false;
        }
        return static_cast<std::size_t>(rc) == plaintext.size();
    }
    // The send callback never blocks, so every round writes a record or fails.
    while (!plaintext.empty()) {
        const int rc = mbedtls_ssl_write(&impl_->ssl, plaintext.data(), plaintext.size());
        if (rc <= 0) {
            fail(rc, "TLS write failed");
            return false;
        }
        plaintext = plaintext.subspan(static_cast<std::size_t>(rc));
    }
    return true;
}

void Engine::close() {
    if (state_ == EngineState::Open)
        mbedtls_ssl_close_notify(&impl_->ssl);
    if (state_ == EngineState::Open || state_ == EngineState::Handshaking)
        state_ = EngineState::Closed;
    impl_->timer_active = false;
}

std::span<const uint8_t> Engine::pending_output() const {
    return impl_->output.front();
}

void Engine::consume_output() {
    if (impl_->datagram)
        impl_->output.consume(0);
    else
        impl_->output.consume(impl_->output.front().size());
}

std::span<const uint8_t> Engine::pending_plaintext() const {
    return impl_->plaintext.front();
}

void Engine::consume_plaintext(std::size_t n) {
    impl_->plaintext.consume(n);
}

} // namespace rtc::tls
