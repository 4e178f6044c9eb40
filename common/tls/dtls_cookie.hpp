#pragma once
// Stateless DTLS cookies (RFC 6347 §4.2.1; RFC 9147 §5.1 keeps the idea for DTLS 1.3):
// cookie = generation ‖ HMAC-SHA256(secret, client transport id) truncated. Two secrets are
// live, the current one and the one before, so rotating the secret never breaks a handshake
// whose HelloVerifyRequest was sent just before the rotation. A cookie therefore lives at most
// two rotation periods. Nothing here allocates; every call is thread-safe.
//
//   auto jar = std::make_shared<rtc::tls::CookieJar>();
//   std::array<uint8_t, rtc::tls::CookieJar::kCookieSize> c;
//   jar->write(client_id, c);               // for the HelloVerifyRequest
//   jar->check(cookie_from_hello, client_id);
//   jar->rotate_if_due(now, std::chrono::seconds(30));   // from a timer
//
// The same jar is installed as the mbedTLS cookie callbacks of a DTLS server Context, so a
// ClientHello that passed the front door also passes inside the session.
#include "crypto/hash.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>

namespace rtc::tls {

class CookieJar {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    static constexpr std::size_t kKeySize = 32;
    static constexpr std::size_t kMacSize = 16;
    static constexpr std::size_t kCookieSize = 1 + kMacSize; // generation byte + MAC

    // Starts with a random secret (throws std::runtime_error only if the entropy source fails).
    CookieJar();
    // A fixed first secret (tests).
    explicit CookieJar(std::span<const uint8_t, kKeySize> key);
    CookieJar(const CookieJar&) = delete;
    CookieJar& operator=(const CookieJar&) = delete;

    // Writes the cookie for `client_id` (e.g. the client's address and port).
    void write(std::span<const uint8_t> client_id,
               std::span<uint8_t, kCookieSize> out) const noexcept;
    // True if `cookie` was written for `client_id` under the current or the previous secret.
    bool check(std::span<const uint8_t> cookie, std::span<const uint8_t> client_id) const noexcept;

    // The current secret becomes the previous one; `key` (or a random one) becomes current.
    void rotate();
    void rotate(std::span<const uint8_t, kKeySize> key);
    // Rotates if `period` has passed since the last rotation (the first call only starts the
    // clock). Several servers may call it with one jar: it rotates once per period. Returns
    // whether it rotated.
    bool rotate_if_due(TimePoint now, std::chrono::milliseconds period);
    // How many rotations happened (the low byte is the generation byte of new cookies).
    uint32_t generation() const;

    // mbedtls_ssl_cookie_write_t / mbedtls_ssl_cookie_check_t with `ctx` = the jar.
    static int mbedtls_write(void* ctx, unsigned char** p, unsigned char* end,
                             const unsigned char* client_id, std::size_t client_id_len);
    static int mbedtls_check(void* ctx, const unsigned char* cookie, std::size_t cookie_len,
                             const unsigned char* client_id, std::size_t client_id_len);

private:
    struct Key {
        uint32_t generation = 0;
        std::optional<crypto::HmacSha256> mac; // keyed once; copied per use
    };
    static std::array<uint8_t, kMacSize> mac_of(const crypto::HmacSha256& keyed,
                                                std::span<const uint8_t> client_id) noexcept;
    void install(std::span<const uint8_t, kKeySize> key);

    mutable std::mutex mutex_;
    Key current_;
    Key previous_;
    std::optional<TimePoint> last_rotation_;
};

} // namespace rtc::tls
