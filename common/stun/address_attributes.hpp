#pragma once
// Address-valued attributes: the MAPPED-ADDRESS layout (RFC 8489 §14.1) and its XOR form
// (RFC 8489 §14.2), IPv4 and IPv6.
#include "stun/attribute_types.hpp"
#include "stun/message.hpp"
#include "util/bytes.hpp"
#include "util/ip_address.hpp"

#include <cstddef>
#include <optional>
#include <span>

namespace rtc::stun {

// RFC 8489 §14.1 family codes (also used by RFC 8656's address-family attributes).
inline constexpr uint8_t kFamilyIpv4 = 0x01;
inline constexpr uint8_t kFamilyIpv6 = 0x02;

// Value codecs. Parsing requires the exact length for the family (8 or 20 bytes).
std::optional<util::Endpoint> parse_address(std::span<const uint8_t> value);
std::optional<util::Endpoint> parse_xor_address(std::span<const uint8_t> value,
                                                const TransactionId &transaction_id);
bool write_address(util::ByteWriter &w, const util::Endpoint &endpoint);
bool write_xor_address(util::ByteWriter &w, const util::Endpoint &endpoint,
                       const TransactionId &transaction_id);
inline std::size_t address_value_size(const util::Endpoint &endpoint) {
    return endpoint.address.is_v4() ? 8 : 20;
}

template <uint16_t Type> struct AddressAttribute {
    static constexpr uint16_t kType = Type;
    util::Endpoint endpoint;

    static std::optional<AddressAttribute> parse(std::span<const uint8_t> value) {
        auto e = parse_address(value);
        if (!e)
            return std::nullopt;
        return AddressAttribute{*e};
    }
    bool serialize(util::ByteWriter &w) const { return write_address(w, endpoint); }
    bool operator==(const AddressAttribute &) const = default;
};

// XOR-ed with the magic cookie (and, for IPv6, the transaction id) so that NATs rewriting
// addresses in payloads leave it alone.
template <uint16_t Type> struct XorAddressAttribute {
    static constexpr uint16_t kType = Type;
    util::Endpoint endpoint;

    static std::optional<XorAddressAttribute> parse(std::span<const uint8_t> value,
                                                    const TransactionId &transaction_id) {
        auto e = parse_xor_address(value, transaction_id);
        if (!e)
            return std::nullopt;
        return XorAddressAttribute{*e};
    }
    bool serialize(util::ByteWriter &w, const TransactionId &transaction_id) const {
        return write_xor_address(w, endpoint, transaction_id);
    }
    bool operator==(const XorAddressAttribute &) const = default;
};

using MappedAddress = AddressAttribute<attr::kMappedAddress>;            // RFC 8489 §14.1
using XorMappedAddress = XorAddressAttribute<attr::kXorMappedAddress>;   // RFC 8489 §14.2
using AlternateServer = AddressAttribute<attr::kAlternateServer>;        // RFC 8489 §14.15
using ResponseOrigin = AddressAttribute<attr::kResponseOrigin>;          // RFC 5780 §7.3
using OtherAddress = AddressAttribute<attr::kOtherAddress>;              // RFC 5780 §7.4
using XorPeerAddress = XorAddressAttribute<attr::kXorPeerAddress>;       // RFC 8656 §18.3
using XorRelayedAddress = XorAddressAttribute<attr::kXorRelayedAddress>; // RFC 8656 §18.5
using SourceAddress = AddressAttribute<attr::kSourceAddress>;            // RFC 3489 §11.2.5
using ChangedAddress = AddressAttribute<attr::kChangedAddress>;          // RFC 3489 §11.2.3

} // namespace rtc::stun
