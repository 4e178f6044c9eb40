#include "tls/dtls_cookie.hpp"

#include "crypto/constant_time.hpp"
#include "crypto/random.hpp"

#include <mbedtls/ssl.h>

#include <cstring>

namespace rtc::tls {

namespace {

std::array<uint8_t, CookieJar::kKeySize> random_key() {
    std::array<uint8_t, CookieJar::kKeySize> key{};
    crypto::random_bytes(key);
    return key;
}

} // namespace

CookieJar::CookieJar() {
    const auto key = random_key();
    install(key);
}

CookieJar::CookieJar(std::span<const uint8_t, kKeySize> key) {
    install(key);
}

void CookieJar::install(std::span<const uint8_t, kKeySize> key) {
    crypto::HmacSha256 keyed(key);
    std::lock_guard lock(mutex_);
    if (current_.mac) {
        previous_ = current_;
        ++current_.generation;
    }
    current_.mac = keyed;
}

void CookieJar::rotate() {
    const auto key = random_key();
    install(key);
}

void CookieJar::rotate(std::span<const uint8_t, kKeySize> key) {
    install(key);
}

bool CookieJar::rotate_if_due(TimePoint now, std::chrono::milliseconds period) {
    {
        std::lock_guard lock(mutex_);
        if (!last_rotation_ || now < *last_rotation_) {
            last_rotation_ = now;
            return false;
        }
        if (now - *last_rotation_ < period)
            return false;
        last_rotation_ = now;
    }
    rotate();
    return true;
}

uint32_t CookieJar::generation() const {
    std::lock_guard lock(mutex_);
    return current_.generation;
}

std::array<uint8_t, CookieJar::kMacSize>
CookieJar::mac_of(const crypto::HmacSha256& keyed, std::span<const uint8_t> client_id) noexcept {
    crypto::HmacSha256 h = keyed;
    h.update(client_id);
    const auto full = h.finish();
    std::array<uint8_t, kMacSize> out{};
    std::memcpy(out.data(), full.data(), out.size());
    return out;
}

void CookieJar::write(std::span<const uint8_t> client_id,
                      std::span<uint8_t, kCookieSize> out) const noexcept {
    std::optional<crypto::HmacSha256> keyed;
    uint8_t generation = 0;
    {
        std::lock_guard lock(mutex_);
        keyed = current_.mac;
        generation = static_cast<uint8_t>(current_.generation);
    }
    out[0] = generation;
    const auto mac = mac_of(*keyed, client_id);
    std::memcpy(out.data() + 1, mac.data(), mac.size());
}

bool CookieJar::check(std::span<const uint8_t> cookie,
                      std::span<const uint8_t> client_id) const noexcept {
    if (cookie.size() != kCookieSize)
        return false;
    std::optional<crypto::HmacSha256> keyed;
    {
        std::lock_guard lock(mutex_);
        // The generation byte picks the secret; anything else is stale or forged.
        if (static_cast<uint8_t>(current_.generation) == cookie[0])
            keyed = current_.mac;
        else if (previous_.mac && static_cast<uint8_t>(previous_.generation) == cookie[0])
            keyed = previous_.mac;
    }
    if (!keyed)
        return false;
    const auto mac = mac_of(*keyed, client_id);
    return crypto::constant_time_equal(mac, cookie.subspan(1));
}

int CookieJar::mbedtls_write(void* ctx, unsigned char** p, unsigned char* end,
                             const unsigned char* client_id, std::size_t client_id_len) {
    if (ctx == nullptr || p == nullptr || *p == nullptr || end < *p ||
        static_cast<std::size_t>(end - *p) < kCookieSize)
        return MBEDTLS_ERR_SSL_BUFFER_TOO_SMALL;
    if (client_id == nullptr)
        return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
    static_cast<const CookieJar*>(ctx)->write({client_id, client_id_len},
                                              std::span<uint8_t, kCookieSize>(*p, kCookieSize));
    *p += kCookieSize;
    return 0;
}

int CookieJar::mbedtls_check(void* ctx, const unsigned char* cookie, std::size_t cookie_len,
                             const unsigned char* client_id, std::size_t client_id_len) {
    if (ctx == nullptr || cookie == nullptr || client_id == nullptr)
        return -1;
    return static_cast<const CookieJar*>(ctx)->check({cookie, cookie_len},
                                                     {client_id, client_id_len})
               ? 0
               : -1;
}

} // namespace rtc::tls
