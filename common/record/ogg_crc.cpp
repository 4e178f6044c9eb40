#include "record/ogg_crc.hpp"

#include <array>

namespace rtc::record {

namespace {

constexpr uint32_t kPolynomial = 0x04C11DB7; // RFC 3533 §6 (CRC checksum field)

constexpr std::array<uint32_t, 256> make_table() {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t r = i << 24;
        for (int bit = 0; bit < 8; ++bit)
            r = (r & 0x80000000u) ? (r << 1) ^ kPolynomial : (r << 1);
        table[i] = r;
    }
    return table;
}

constexpr std::array<uint32_t, 256> kTable = make_table();

} // namespace

uint32_t ogg_crc32(std::span<const uint8_t> data, uint32_t crc) {
    for (uint8_t b : data)
        crc = (crc << 8) ^ kTable[((crc >> 24) ^ b) & 0xFF];
    return crc;
}

} // namespace rtc::record
