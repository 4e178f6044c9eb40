#include "crypto/crc32.hpp"
#include "util/bytes.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

using rtc::crypto::crc32;

namespace {
// Bit-at-a-time reference (ISO 3309 / ITU-T V.42 CRC-32).
uint32_t reference_crc32(const std::vector<uint8_t> &data) {
    uint32_t c = 0xFFFFFFFFu;
    for (uint8_t b : data) {
        c ^= b;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}
} // namespace

TEST_CASE("crypto/crc32: check value and empty input") {
    CHECK(crc32(rtc::util::as_bytes("123456789")) == 0xCBF43926u); // the standard check value
    CHECK(crc32({}) == 0u);
    CHECK(crc32(rtc::util::as_bytes("The quick brown fox jumps over the lazy dog")) == 0x414FA339u);
}

TEST_CASE("crypto/crc32: slicing-by-8 matches the bitwise reference at every length") {
    std::vector<uint8_t> data;
    uint32_t x = 12345;
    for (std::size_t len = 0; len < 80; ++len) {
        CHECK(crc32(data) == reference_crc32(data));
        x = x * 1103515245u + 12345u;
        data.push_back(static_cast<uint8_t>(x >> 16));
    }
    // Incremental: crc32(b, crc32(a)) == crc32(a ++ b), for split points off the 8-byte grid.
    std::span<const uint8_t> all(data);
    for (std::size_t split : {0u, 1u, 7u, 9u, 33u, 79u})
        CHECK(crc32(all.subspan(split), crc32(all.first(split))) == crc32(all));
}
