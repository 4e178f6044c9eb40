#pragma once
// The f_rng callback handed to mbedTLS: common/crypto's per-thread CTR-DRBG, so any thread may
// handshake without locking.
//
//   mbedtls_ssl_conf_rng(&conf, rtc::tls::random_callback, nullptr);
#include <cstddef>

namespace rtc::tls {

// Fills `out`; returns 0, or an mbedTLS error code if the entropy source failed (never throws).
int random_callback(void* unused, unsigned char* out, std::size_t size);

} // namespace rtc::tls
