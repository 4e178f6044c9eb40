#pragma once
// Message digests and HMAC over mbedTLS 2.28's hash contexts. Everything lives on the stack:
// no mbedtls_md_setup (which allocates), so these are safe on per-packet paths.
#include <mbedtls/md5.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace rtc::crypto {

using Md5Digest = std::array<uint8_t, 16>;
using Sha1Digest = std::array<uint8_t, 20>;
using Sha256Digest = std::array<uint8_t, 32>;

// Incremental hashes. Copyable, so a prefix can be hashed once and reused.
class Md5 {
public:
    static constexpr std::size_t kBlockSize = 64;
    using Digest = Md5Digest;
    Md5();
    ~Md5();
    Md5(const Md5 &other);
    Md5 &operator=(const Md5 &other);
    void update(std::span<const uint8_t> data);
    Digest finish();

private:
    mbedtls_md5_context ctx_;
};

class Sha1 {
public:
    static constexpr std::size_t kBlockSize = 64;
    using Digest = Sha1Digest;
    Sha1();
    ~Sha1();
    Sha1(const Sha1 &other);
    Sha1 &operator=(const Sha1 &other);
    void update(std::span<const uint8_t> data);
    Digest finish();

private:
    mbedtls_sha1_context ctx_;
};

class Sha256 {
public:
    static constexpr std::size_t kBlockSize = 64;
    using Digest = Sha256Digest;
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &other);
    Sha256 &operator=(const Sha256 &other);
    void update(std::span<const uint8_t> data);
    Digest finish();

private:
    mbedtls_sha256_context ctx_;
};

// HMAC (RFC 2104) over one of the hashes above. Construct with the key, update() any number
// of times, finish() once. A keyed object may be copied to reuse the key schedule.
template <class Hash> class Hmac {
public:
    using Digest = typename Hash::Digest;

    explicit Hmac(std::span<const uint8_t> key) {
        std::array<uint8_t, Hash::kBlockSize> block{};
        if (key.size() > Hash::kBlockSize) {
            Hash h;
            h.update(key);
            auto d = h.finish();
            for (std::size_t i = 0; i < d.size(); ++i)
                block[i] = d[i];
        } else {
            for (std::size_t i = 0; i < key.size(); ++i)
                block[i] = key[i];
        }
        for (auto &b : block)
            b ^= 0x36;
        inner_.update(block);
        for (auto &b : block)
            b ^= 0x36 ^ 0x5c;
        outer_.update(block);
    }

    void update(std::span<const uint8_t> data) { inner_.update(data); }

    Digest finish() {
        auto inner_digest = inner_.finish();
        outer_.update(inner_digest);
        return outer_.finish();
    }

private:
    Hash inner_;
    Hash outer_;
};

using HmacSha1 = Hmac<Sha1>;
using HmacSha256 = Hmac<Sha256>;

Md5Digest md5(std::span<const uint8_t> data);
Sha1Digest sha1(std::span<const uint8_t> data);
Sha256Digest sha256(std::span<const uint8_t> data);
Sha1Digest hmac_sha1(std::span<const uint8_t> key, std::span<const uint8_t> data);
Sha256Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data);

} // namespace rtc::crypto
