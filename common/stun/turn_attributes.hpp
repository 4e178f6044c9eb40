#pragma once
// TURN attributes of RFC 8656 §18 and RFC 6062 §6.2 (XOR-PEER-ADDRESS and XOR-RELAYED-ADDRESS
// are in address_attributes.hpp). Parsing checks lengths; the TURN server checks semantics
// (channel range, families, protocols) so that it can answer with the right error code.
#include "stun/attribute_types.hpp"
#include "util/bytes.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rtc::stun {

// RFC 8656 §18.1: channel number, 2 bytes RFFU.
struct ChannelNumber {
    static constexpr uint16_t kType = attr::kChannelNumber;
    uint16_t number = 0;
    // RFC 8656 §12 narrowed channels to 0x4000-0x4FFF, but RFC 5766 §11 allowed up to 0x7FFF
    // and deployed clients (coturn 4.6's turnutils_uclient) still pick numbers there.
    static constexpr bool in_range(uint16_t n) { return n >= 0x4000 && n <= 0x7FFF; }
    static std::optional<ChannelNumber> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const ChannelNumber &) const = default;
};

// RFC 8656 §18.2: seconds.
struct Lifetime {
    static constexpr uint16_t kType = attr::kLifetime;
    uint32_t seconds = 0;
    static std::optional<Lifetime> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const Lifetime &) const = default;
};

// RFC 8656 §18.4: application data, a view into the message.
struct Data {
    static constexpr uint16_t kType = attr::kData;
    std::span<const uint8_t> bytes;
    static std::optional<Data> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const Data &other) const;
};

// RFC 8656 §18.6 / §18.7 (RFC 8656 §18.11 for ADDITIONAL-ADDRESS-FAMILY): a family byte
// (0x01 IPv4, 0x02 IPv6) and 3 bytes RFFU.
template <uint16_t Type> struct AddressFamilyAttribute {
    static constexpr uint16_t kType = Type;
    uint8_t family = 0;
    static std::optional<AddressFamilyAttribute> parse(std::span<const uint8_t> value) {
        if (value.size() != 4)
            return std::nullopt;
        return AddressFamilyAttribute{value[0]};
    }
    bool serialize(util::ByteWriter &w) const {
        w.write_u8(family);
        w.write_fill(3);
        return w.ok();
    }
    bool operator==(const AddressFamilyAttribute &) const = default;
};
using RequestedAddressFamily = AddressFamilyAttribute<attr::kRequestedAddressFamily>;
using AdditionalAddressFamily = AddressFamilyAttribute<attr::kAdditionalAddressFamily>;

// RFC 8656 §18.8: one byte, the top bit R asks to reserve the next port.
struct EvenPort {
    static constexpr uint16_t kType = attr::kEvenPort;
    bool reserve = false;
    static std::optional<EvenPort> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const EvenPort &) const = default;
};

// RFC 8656 §18.9: IP protocol number and 3 bytes RFFU.
struct RequestedTransport {
    static constexpr uint16_t kType = attr::kRequestedTransport;
    static constexpr uint8_t kUdp = 17;
    static constexpr uint8_t kTcp = 6; // RFC 6062 §6.1
    uint8_t protocol = kUdp;
    static std::optional<RequestedTransport> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const RequestedTransport &) const = default;
};

// RFC 8656 §18.10: no value.
struct DontFragment {
    static constexpr uint16_t kType = attr::kDontFragment;
    static std::optional<DontFragment> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const DontFragment &) const = default;
};

// RFC 8656 §18.12: 8 opaque bytes.
struct ReservationToken {
    static constexpr uint16_t kType = attr::kReservationToken;
    uint64_t token = 0;
    static std::optional<ReservationToken> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const ReservationToken &) const = default;
};

// RFC 8656 §18.13: family, 13 reserved bits, class (3 bits), number (8 bits), reason.
struct AddressErrorCode {
    static constexpr uint16_t kType = attr::kAddressErrorCode;
    uint8_t family = 0;
    uint16_t code = 0;
    std::string_view reason;
    static std::optional<AddressErrorCode> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const AddressErrorCode &) const = default;
};

// RFC 8656 §18.14: 2 reserved bytes, ICMP type, ICMP code, 4 bytes of error data.
struct Icmp {
    static constexpr uint16_t kType = attr::kIcmp;
    uint8_t icmp_type = 0;
    uint8_t icmp_code = 0;
    uint32_t error_data = 0;
    static std::optional<Icmp> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const Icmp &) const = default;
};

// RFC 6062 §6.2.1: 32-bit connection id.
struct ConnectionId {
    static constexpr uint16_t kType = attr::kConnectionId;
    uint32_t id = 0;
    static std::optional<ConnectionId> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const ConnectionId &) const = default;
};

} // namespace rtc::stun
