#include "stun/address_attributes.hpp"

#include <array>

namespace rtc::stun {

namespace {

// RFC 8489 §14.1: 0x00, family, port, address (4 or 16 bytes).
std::optional<util::Endpoint> decode(std::span<const uint8_t> value, const uint8_t *mask) {
    if (value.size() != 8 && value.size() != 20)
        return std::nullopt;
    uint8_t family = value[1];
    std::size_t address_size = family == kFamilyIpv4 ? 4 : family == kFamilyIpv6 ? 16 : 0;
    if (address_size == 0 || value.size() != 4 + address_size)
        return std::nullopt;
    util::Endpoint e;
    e.port = util::load_u16(value.data() + 2);
    if (mask)
        e.port ^= static_cast<uint16_t>(kMagicCookie >> 16);
    std::array<uint8_t, 16> bytes{};
    for (std::size_t i = 0; i < address_size; ++i)
        bytes[i] = static_cast<uint8_t>(value[4 + i] ^ (mask ? mask[i] : 0));
    if (family == kFamilyIpv4)
        e.address = util::IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]});
    else
        e.address = util::IpAddress::v6(bytes);
    return e;
}

bool encode(util::ByteWriter &w, const util::Endpoint &e, const uint8_t *mask) {
    const std::size_t n = e.address.size();
    auto out = w.reserve(4 + n);
    if (out.empty())
        return false;
    out[0] = 0;
    out[1] = e.address.is_v4() ? kFamilyIpv4 : kFamilyIpv6;
    util::store_u16(&out[2], mask ? static_cast<uint16_t>(e.port ^ (kMagicCookie >> 16)) : e.port);
    const uint8_t *a = e.address.data();
    for (std::size_t i = 0; i < n; ++i)
        out[4 + i] = static_cast<uint8_t>(a[i] ^ (mask ? mask[i] : 0));
    return true;
}

// RFC 8489 §14.2: IPv4 is XOR-ed with the magic cookie, IPv6 with cookie || transaction id.
std::array<uint8_t, 16> xor_mask(const TransactionId &id) {
    std::array<uint8_t, 16> m{};
    util::store_u32(m.data(), kMagicCookie);
    for (std::size_t i = 0; i < id.size(); ++i)
        m[4 + i] = id[i];
    return m;
}

} // namespace

std::optional<util::Endpoint> parse_address(std::span<const uint8_t> value) {
    return decode(value, nullptr);
}

std::optional<util::Endpoint> parse_xor_address(std::span<const uint8_t> value,
                                                const TransactionId &transaction_id) {
    auto mask = xor_mask(transaction_id);
    return decode(value, mask.data());
}

bool write_address(util::ByteWriter &w, const util::Endpoint &endpoint) {
    return encode(w, endpoint, nullptr);
}

bool write_xor_address(util::ByteWriter &w, const util::Endpoint &endpoint,
                       const TransactionId &transaction_id) {
    auto mask = xor_mask(transaction_id);
    return encode(w, endpoint, mask.data());
}

} // namespace rtc::stun
