#pragma once
// Cryptographically strong random bytes: mbedTLS CTR_DRBG seeded from the system entropy
// source, one generator per thread (thread_local), so no locking.
#include <cstdint>
#include <span>

namespace rtc::crypto {

// Throws std::runtime_error only if the system entropy source fails (never on input).
void random_bytes(std::span<uint8_t> out);
uint32_t random_u32();
uint64_t random_u64();

} // namespace rtc::crypto
