#include "stun/turn_attributes.hpp"

#include "stun/rfc8489_attributes.hpp"

#include <algorithm>

namespace rtc::stun {

std::optional<ChannelNumber> ChannelNumber::parse(std::span<const uint8_t> value) {
    if (value.size() != 4)
        return std::nullopt;
    return ChannelNumber{util::load_u16(value.data())};
}
bool ChannelNumber::serialize(util::ByteWriter &w) const {
    w.write_u16(number);
    w.write_u16(0);
    return w.ok();
}

std::optional<Lifetime> Lifetime::parse(std::span<const uint8_t> value) {
    if (value.size() != 4)
        return std::nullopt;
    return Lifetime{util::load_u32(value.data())};
}
bool Lifetime::serialize(util::ByteWriter &w) const {
    w.write_u32(seconds);
    return w.ok();
}

std::optional<Data> Data::parse(std::span<const uint8_t> value) {
    return Data{value};
}
bool Data::serialize(util::ByteWriter &w) const {
    if (bytes.size() > 0xFFFF)
        return false;
    w.write_bytes(bytes);
    return w.ok();
}
bool Data::operator==(const Data &other) const {
    return std::ranges::equal(bytes, other.bytes);
}

std::optional<EvenPort> EvenPort::parse(std::span<const uint8_t> value) {
    // One byte; tolerate senders that include the padding in the length.
    if (value.empty() || value.size() > 4)
        return std::nullopt;
    return EvenPort{(value[0] & 0x80) != 0};
}
bool EvenPort::serialize(util::ByteWriter &w) const {
    w.write_u8(reserve ? 0x80 : 0x00);
    return w.ok();
}

std::optional<RequestedTransport> RequestedTransport::parse(std::span<const uint8_t> value) {
    if (value.size() != 4)
        return std::nullopt;
    return RequestedTransport{value[0]};
}
bool RequestedTransport::serialize(util::ByteWriter &w) const {
    w.write_u8(protocol);
    w.write_fill(3);
    return w.ok();
}

std::optional<DontFragment> DontFragment::parse(std::span<const uint8_t> value) {
    if (!value.empty())
        return std::nullopt;
    return DontFragment{};
}
bool DontFragment::serialize(util::ByteWriter &w) const {
    return w.ok();
}

std::optional<ReservationToken> ReservationToken::parse(std::span<const uint8_t> value) {
    if (value.size() != 8)
        return std::nullopt;
    util::ByteReader r(value);
    return ReservationToken{r.read_u64()};
}
bool ReservationToken::serialize(util::ByteWriter &w) const {
    w.write_u64(token);
    return w.ok();
}

// RFC 8656 §18.13: the family, then the same layout as ERROR-CODE.
std::optional<AddressErrorCode> AddressErrorCode::parse(std::span<const uint8_t> value) {
    auto body = parse_error_code_body(value);
    if (!body)
        return std::nullopt;
    return AddressErrorCode{value[0], body->code, body->reason};
}
bool AddressErrorCode::serialize(util::ByteWriter &w) const {
    return serialize_error_code_body(w, family, code, reason);
}

std::optional<Icmp> Icmp::parse(std::span<const uint8_t> value) {
    if (value.size() != 8)
        return std::nullopt;
    return Icmp{value[2], value[3], util::load_u32(value.data() + 4)};
}
bool Icmp::serialize(util::ByteWriter &w) const {
    w.write_u16(0);
    w.write_u8(icmp_type);
    w.write_u8(icmp_code);
    w.write_u32(error_data);
    return w.ok();
}

std::optional<ConnectionId> ConnectionId::parse(std::span<const uint8_t> value) {
    if (value.size() != 4)
        return std::nullopt;
    return ConnectionId{util::load_u32(value.data())};
}
bool ConnectionId::serialize(util::ByteWriter &w) const {
    w.write_u32(id);
    return w.ok();
}

} // namespace rtc::stun
