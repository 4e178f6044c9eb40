#include "tls/rng.hpp"

#include "crypto/random.hpp"

#include <mbedtls/ctr_drbg.h>

#include <cstdint>
#include <exception>
#include <span>

namespace rtc::tls {

int random_callback(void*, unsigned char* out, std::size_t size) {
    try {
        crypto::random_bytes(std::span<uint8_t>(out, size));
        return 0;
    } catch (const std::exception&) {
        return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
    }
}

} // namespace rtc::tls
