#include "crypto/hash.hpp"

namespace rtc::crypto {

// The *_ret functions only fail with hardware accelerators, which Debian's build has none of.

Md5::Md5() {
    mbedtls_md5_init(&ctx_);
    (void)mbedtls_md5_starts_ret(&ctx_);
}
Md5::~Md5() {
    mbedtls_md5_free(&ctx_);
}
Md5::Md5(const Md5 &other) {
    mbedtls_md5_init(&ctx_);
    mbedtls_md5_clone(&ctx_, &other.ctx_);
}
Md5 &Md5::operator=(const Md5 &other) {
    if (this != &other)
        mbedtls_md5_clone(&ctx_, &other.ctx_);
    return *this;
}
void Md5::update(std::span<const uint8_t> data) {
    (void)mbedtls_md5_update_ret(&ctx_, data.data(), data.size());
}
Md5Digest Md5::finish() {
    Md5Digest d{};
    (void)mbedtls_md5_finish_ret(&ctx_, d.data());
    return d;
}

Sha1::Sha1() {
    mbedtls_sha1_init(&ctx_);
    (void)mbedtls_sha1_starts_ret(&ctx_);
}
Sha1::~Sha1() {
    mbedtls_sha1_free(&ctx_);
}
Sha1::Sha1(const Sha1 &other) {
    mbedtls_sha1_init(&ctx_);
    mbedtls_sha1_clone(&ctx_, &other.ctx_);
}
Sha1 &Sha1::operator=(const Sha1 &other) {
    if (this != &other)
        mbedtls_sha1_clone(&ctx_, &other.ctx_);
    return *this;
}
void Sha1::update(std::span<const uint8_t> data) {
    (void)mbedtls_sha1_update_ret(&ctx_, data.data(), data.size());
}
Sha1Digest Sha1::finish() {
    Sha1Digest d{};
    (void)mbedtls_sha1_finish_ret(&ctx_, d.data());
    return d;
}

Sha256::Sha256() {
    mbedtls_sha256_init(&ctx_);
    (void)mbedtls_sha256_starts_ret(&ctx_, 0);
}
Sha256::~Sha256() {
    mbedtls_sha256_free(&ctx_);
}
Sha256::Sha256(const Sha256 &other) {
    mbedtls_sha256_init(&ctx_);
    mbedtls_sha256_clone(&ctx_, &other.ctx_);
}
Sha256 &Sha256::operator=(const Sha256 &other) {
    if (this != &other)
        mbedtls_sha256_clone(&ctx_, &other.ctx_);
    return *this;
}
void Sha256::update(std::span<const uint8_t> data) {
    (void)mbedtls_sha256_update_ret(&ctx_, data.data(), data.size());
}
Sha256Digest Sha256::finish() {
    Sha256Digest d{};
    (void)mbedtls_sha256_finish_ret(&ctx_, d.data());
    return d;
}

Md5Digest md5(std::span<const uint8_t> data) {
    Md5 h;
    h.update(data);
    return h.finish();
}

Sha1Digest sha1(std::span<const uint8_t> data) {
    Sha1 h;
    h.update(data);
    return h.finish();
}

Sha256Digest sha256(std::span<const uint8_t> data) {
    Sha256 h;
    h.update(data);
    return h.finish();
}

Sha1Digest hmac_sha1(std::span<const uint8_t> key, std::span<const uint8_t> data) {
    HmacSha1 h(key);
    h.update(data);
    return h.finish();
}

Sha256Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
    HmacSha256 h(key);
    h.update(data);
    return h.finish();
}

} // namespace rtc::crypto
