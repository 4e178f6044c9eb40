#pragma once
// The CRC-32 of Ogg pages (RFC 3533 §6): generator polynomial 0x04C11DB7, not reflected, initial
// value 0, no final XOR. This is not the zlib/STUN CRC in crypto/crc32 (reflected, inverted).
#include <cstdint>
#include <span>

namespace rtc::record {

// Incremental: ogg_crc32(b, ogg_crc32(a)) == ogg_crc32(a ++ b). Start with 0.
uint32_t ogg_crc32(std::span<const uint8_t> data, uint32_t previous = 0);

} // namespace rtc::record
