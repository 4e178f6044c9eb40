#pragma once
// CRC-32 as used by STUN FINGERPRINT (RFC 8489 §14.7 refers to ITU-T V.42 / ISO 3309: the
// reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF; same as zlib).
#include <cstdint>
#include <span>

namespace rtc::crypto {

// Incremental like zlib's crc32(): crc32(b, crc32(a)) == crc32(a ++ b). Start with 0.
// Table-driven, slicing-by-8.
uint32_t crc32(std::span<const uint8_t> data, uint32_t previous = 0);

} // namespace rtc::crypto
