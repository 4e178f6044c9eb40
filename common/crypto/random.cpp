#include "crypto/random.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include <stdexcept>

namespace rtc::crypto {

namespace {

class Drbg {
public:
    Drbg() {
        mbedtls_entropy_init(&entropy_);
        mbedtls_ctr_drbg_init(&drbg_);
        static constexpr unsigned char kPersonalisation[] = "rtc-tools random";
        if (mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, kPersonalisation,
                                  sizeof kPersonalisation - 1) != 0) {
            mbedtls_ctr_drbg_free(&drbg_);
            mbedtls_entropy_free(&entropy_);
            throw std::runtime_error("cannot seed the random generator from system entropy");
        }
    }
    ~Drbg() {
        mbedtls_ctr_drbg_free(&drbg_);
        mbedtls_entropy_free(&entropy_);
    }
    Drbg(const Drbg &) = delete;
    Drbg &operator=(const Drbg &) = delete;

    void fill(std::span<uint8_t> out) {
        // mbedtls_ctr_drbg_random serves at most MBEDTLS_CTR_DRBG_MAX_REQUEST bytes per call.
        while (!out.empty()) {
            std::size_t n = out.size() < MBEDTLS_CTR_DRBG_MAX_REQUEST
                                ? out.size()
                                : static_cast<std::size_t>(MBEDTLS_CTR_DRBG_MAX_REQUEST);
            if (mbedtls_ctr_drbg_random(&drbg_, out.data(), n) != 0)
                throw std::runtime_error("random generator failed to reseed");
            out = out.subspan(n);
        }
    }

private:
    mbedtls_entropy_context entropy_;
    mbedtls_ctr_drbg_context drbg_;
};

Drbg &thread_drbg() {
    thread_local Drbg drbg;
    return drbg;
}

} // namespace

void random_bytes(std::span<uint8_t> out) {
    thread_drbg().fill(out);
}

uint32_t random_u32() {
    uint8_t b[4];
    random_bytes(b);
    return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}

uint64_t random_u64() {
    return (uint64_t{random_u32()} << 32) | random_u32();
}

} // namespace rtc::crypto
