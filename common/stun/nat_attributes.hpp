#pragma once
// RFC 5780 §7 attributes for NAT behaviour discovery (RESPONSE-ORIGIN and OTHER-ADDRESS are
// address attributes, see address_attributes.hpp).
#include "stun/attribute_types.hpp"
#include "util/bytes.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace rtc::stun {

// RFC 5780 §7.2: 32 bits, "A" (0x4) = change IP, "B" (0x2) = change port.
struct ChangeRequest {
    static constexpr uint16_t kType = attr::kChangeRequest;
    static constexpr uint32_t kChangeIp = 0x4;
    static constexpr uint32_t kChangePort = 0x2;
    bool change_ip = false;
    bool change_port = false;
    static std::optional<ChangeRequest> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const ChangeRequest &) const = default;
};

// RFC 5780 §7.5: a port followed by 2 bytes of padding.
struct ResponsePort {
    static constexpr uint16_t kType = attr::kResponsePort;
    uint16_t port = 0;
    static std::optional<ResponsePort> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const ResponsePort &) const = default;
};

// RFC 5780 §7.6: free-form bytes whose value does not matter, only their length. Serialised
// as zeros.
struct Padding {
    static constexpr uint16_t kType = attr::kPadding;
    std::size_t length = 0;
    static std::optional<Padding> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const Padding &) const = default;
};

} // namespace rtc::stun
