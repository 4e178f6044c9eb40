#include "record/ebml.hpp"

#include <bit>
#include <cstring>

namespace rtc::record::ebml {

std::size_t vint_length(uint64_t value) {
    for (std::size_t len = 1; len <= 8; ++len)
        if (value < (uint64_t{1} << (7 * len)) - 1)
            return len;
    return 0;
}

void put_vint(uint8_t* out, uint64_t value, std::size_t length) {
    // RFC 8794 §4.1: VINT_WIDTH zero bits, the VINT_MARKER 1 bit, then VINT_DATA big-endian.
    value |= uint64_t{1} << (7 * length);
    for (std::size_t i = 0; i < length; ++i)
        out[i] = static_cast<uint8_t>(value >> (8 * (length - 1 - i)));
}

std::size_t id_length(uint32_t id) {
    if (id > 0xFFFFFF)
        return 4;
    if (id > 0xFFFF)
        return 3;
    if (id > 0xFF)
        return 2;
    return 1;
}

std::size_t put_id(uint8_t* out, uint32_t id) {
    const std::size_t n = id_length(id);
    for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<uint8_t>(id >> (8 * (n - 1 - i)));
    return n;
}

void Writer::id(uint32_t element_id) {
    uint8_t b[4];
    raw({b, put_id(b, element_id)});
}

void Writer::size(uint64_t size) {
    uint8_t b[8];
    if (size == kUnknownSize) {
        put_vint(b, size, 8);
        raw({b, 8});
        return;
    }
    const std::size_t n = vint_length(size);
    put_vint(b, size, n);
    raw({b, n});
}

void Writer::uint(uint32_t element_id, uint64_t value) {
    // RFC 8794 §7.2: big-endian, the fewest octets (at least one).
    uint8_t b[8];
    std::size_t n = 1;
    while (n < 8 && (value >> (8 * n)) != 0)
        ++n;
    for (std::size_t i = 0; i < n; ++i)
        b[i] = static_cast<uint8_t>(value >> (8 * (n - 1 - i)));
    id(element_id);
    size(n);
    raw({b, n});
}

void Writer::float64(uint32_t element_id, double value) {
    // RFC 8794 §7.3: IEEE 754 binary64, big-endian.
    const auto bits = std::bit_cast<uint64_t>(value);
    uint8_t b[8];
    for (int i = 0; i < 8; ++i)
        b[i] = static_cast<uint8_t>(bits >> (8 * (7 - i)));
    id(element_id);
    size(8);
    raw({b, 8});
}

void Writer::string(uint32_t element_id, std::string_view value) {
    binary(element_id, {reinterpret_cast<const uint8_t*>(value.data()), value.size()});
}

void Writer::binary(uint32_t element_id, std::span<const uint8_t> value) {
    id(element_id);
    size(value.size());
    raw(value);
}

void Writer::master(uint32_t element_id, const std::function<void(Writer&)>& body) {
    Writer child;
    body(child);
    id(element_id);
    size(child.bytes_.size());
    raw(child.bytes_);
}

void Writer::raw(std::span<const uint8_t> bytes) {
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

} // namespace rtc::record::ebml
