#include "stun/rfc8489_attributes.hpp"

#include "util/utf8.hpp"

#include <algorithm>

namespace rtc::stun {

namespace {
constexpr std::size_t padded(std::size_t n) {
    return (n + 3) & ~std::size_t{3};
}

template <std::size_t N>
bool copy_exact(std::span<const uint8_t> value, std::array<uint8_t, N> &out) {
    if (value.size() != N)
        return false;
    std::copy(value.begin(), value.end(), out.begin());
    return true;
}
} // namespace

bool text_within_limits(std::string_view text, std::size_t max_bytes, std::size_t max_chars) {
    return text.size() <= max_bytes && util::utf8_length(text) <= max_chars;
}

std::optional<Userhash> Userhash::parse(std::span<const uint8_t> value) {
    Userhash u;
    if (!copy_exact(value, u.hash))
        return std::nullopt;
    return u;
}
bool Userhash::serialize(util::ByteWriter &w) const {
    w.write_bytes(hash);
    return w.ok();
}

std::optional<MessageIntegrity> MessageIntegrity::parse(std::span<const uint8_t> value) {
    MessageIntegrity m;
    if (!copy_exact(value, m.hmac))
        return std::nullopt;
    return m;
}
bool MessageIntegrity::serialize(util::ByteWriter &w) const {
    w.write_bytes(hmac);
    return w.ok();
}

std::optional<MessageIntegritySha256>
MessageIntegritySha256::parse(std::span<const uint8_t> value) {
    if (value.size() < 16 || value.size() > 32 || value.size() % 4 != 0)
        return std::nullopt;
    MessageIntegritySha256 m;
    m.length = value.size();
    std::copy(value.begin(), value.end(), m.hmac.begin());
    return m;
}
bool MessageIntegritySha256::serialize(util::ByteWriter &w) const {
    if (length < 16 || length > 32 || length % 4 != 0)
        return false;
    w.write_bytes(std::span(hmac).first(length));
    return w.ok();
}

std::optional<Fingerprint> Fingerprint::parse(std::span<const uint8_t> value) {
    if (value.size() != 4)
        return std::nullopt;
    return Fingerprint{util::load_u32(value.data())};
}
bool Fingerprint::serialize(util::ByteWriter &w) const {
    w.write_u32(crc);
    return w.ok();
}

// RFC 8489 §14.8: 21 reserved bits, Class (3 bits, 3..6), Number (8 bits, 0..99), reason.
std::optional<ErrorCodeBody> parse_error_code_body(std::span<const uint8_t> value) {
    if (value.size() < 4)
        return std::nullopt;
    unsigned cls = value[2] & 0x07;
    unsigned number = value[3];
    if (cls < 3 || cls > 6 || number > 99)
        return std::nullopt;
    auto reason = util::as_string_view(value.subspan(4));
    if (!text_within_limits(reason, 763, 127))
        return std::nullopt;
    return ErrorCodeBody{static_cast<uint16_t>(cls * 100 + number), reason};
}
bool serialize_error_code_body(util::ByteWriter &w, uint8_t first_byte, uint16_t code,
                               std::string_view reason) {
    if (code < 300 || code > 699 || !text_within_limits(reason, 763, 127))
        return false;
    w.write_u8(first_byte);
    w.write_u8(0);
    w.write_u8(static_cast<uint8_t>(code / 100));
    w.write_u8(static_cast<uint8_t>(code % 100));
    w.write_string(reason);
    return w.ok();
}

std::optional<ErrorCode> ErrorCode::parse(std::span<const uint8_t> value) {
    auto body = parse_error_code_body(value);
    if (!body)
        return std::nullopt;
    return ErrorCode{body->code, body->reason};
}
bool ErrorCode::serialize(util::ByteWriter &w) const {
    return serialize_error_code_body(w, 0, code, reason);
}

std::string_view default_reason(uint16_t code) {
    using namespace error_code;
    switch (code) {
    case kTryAlternate:
        return "Try Alternate";
    case kBadRequest:
        return "Bad Request";
    case kUnauthorized:
        return "Unauthorized";
    case kForbidden:
        return "Forbidden";
    case kMobilityForbidden:
        return "Mobility Forbidden";
    case kUnknownAttribute:
        return "Unknown Attribute";
    case kAllocationMismatch:
        return "Allocation Mismatch";
    case kStaleNonce:
        return "Stale Nonce";
    case kAddressFamilyNotSupported:
        return "Address Family not Supported";
    case kWrongCredentials:
        return "Wrong Credentials";
    case kUnsupportedTransportProtocol:
        return "Unsupported Transport Protocol";
    case kPeerAddressFamilyMismatch:
        return "Peer Address Family Mismatch";
    case kConnectionAlreadyExists:
        return "Connection Already Exists";
    case kConnectionTimeoutOrFailure:
        return "Connection Timeout or Failure";
    case kAllocationQuotaReached:
        return "Allocation Quota Reached";
    case kRoleConflict:
        return "Role Conflict";
    case kServerError:
        return "Server Error";
    case kInsufficientCapacity:
        return "Insufficient Capacity";
    default:
        return "Error";
    }
}

std::optional<UnknownAttributes> UnknownAttributes::parse(std::span<const uint8_t> value) {
    if (value.size() % 2 != 0)
        return std::nullopt;
    UnknownAttributes u;
    for (std::size_t i = 0; i + 1 < value.size() && u.count < kMaxTypes; i += 2)
        u.types[u.count++] = util::load_u16(value.data() + i);
    return u;
}
bool UnknownAttributes::serialize(util::ByteWriter &w) const {
    if (count > kMaxTypes)
        return false;
    for (std::size_t i = 0; i < count; ++i)
        w.write_u16(types[i]);
    return w.ok();
}
bool UnknownAttributes::operator==(const UnknownAttributes &other) const {
    return std::ranges::equal(list(), other.list());
}

std::optional<PasswordAlgorithm> PasswordAlgorithm::parse(std::span<const uint8_t> value) {
    if (value.size() < 4)
        return std::nullopt;
    std::size_t length = util::load_u16(value.data() + 2);
    // The parameters may or may not carry their padding inside the value.
    if (value.size() != 4 + length && value.size() != 4 + padded(length))
        return std::nullopt;
    return PasswordAlgorithm{util::load_u16(value.data()), value.subspan(4, length)};
}
bool PasswordAlgorithm::serialize(util::ByteWriter &w) const {
    if (parameters.size() > 0xFFFF)
        return false;
    w.write_u16(algorithm);
    w.write_u16(static_cast<uint16_t>(parameters.size()));
    w.write_bytes(parameters);
    w.pad_to(4);
    return w.ok();
}
bool PasswordAlgorithm::operator==(const PasswordAlgorithm &other) const {
    return algorithm == other.algorithm && std::ranges::equal(parameters, other.parameters);
}

std::optional<PasswordAlgorithms> PasswordAlgorithms::parse(std::span<const uint8_t> value) {
    PasswordAlgorithms list;
    util::ByteReader r(value);
    while (r.remaining() > 0) {
        uint16_t algorithm = r.read_u16();
        uint16_t length = r.read_u16();
        auto parameters = r.read_bytes(length);
        // The last entry's padding may fall outside the value (it is the attribute's padding).
        if (r.remaining() > 0)
            r.skip(padded(length) - length);
        if (!r.ok() || !list.add(PasswordAlgorithm{algorithm, parameters}))
            return std::nullopt;
    }
    return list;
}
bool PasswordAlgorithms::serialize(util::ByteWriter &w) const {
    if (count > kMaxAlgorithms)
        return false;
    for (std::size_t i = 0; i < count; ++i)
        if (!algorithms[i].serialize(w))
            return false;
    return w.ok();
}
bool PasswordAlgorithms::operator==(const PasswordAlgorithms &other) const {
    return std::ranges::equal(list(), other.list());
}

} // namespace rtc::stun
