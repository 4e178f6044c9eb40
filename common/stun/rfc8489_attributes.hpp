#pragma once
// The non-address attributes of RFC 8489 §14. Parsed values are views into the message
// (string_view / span): they live as long as the message bytes do.
#include "stun/attribute_types.hpp"
#include "util/bytes.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rtc::stun {

// A UTF-8 text attribute limited to MaxBytes bytes and MaxChars characters.
template <uint16_t Type, std::size_t MaxBytes, std::size_t MaxChars> struct TextAttribute {
    static constexpr uint16_t kType = Type;
    static constexpr std::size_t kMaxBytes = MaxBytes;
    static constexpr std::size_t kMaxChars = MaxChars;
    std::string_view value;

    static bool valid(std::string_view text);
    static std::optional<TextAttribute> parse(std::span<const uint8_t> value) {
        auto text = util::as_string_view(value);
        if (!valid(text))
            return std::nullopt;
        return TextAttribute{text};
    }
    bool serialize(util::ByteWriter &w) const {
        if (!valid(value))
            return false;
        w.write_string(value);
        return w.ok();
    }
    bool operator==(const TextAttribute &) const = default;
};

bool text_within_limits(std::string_view text, std::size_t max_bytes, std::size_t max_chars);

// The body shared by ERROR-CODE (RFC 8489 §14.8) and ADDRESS-ERROR-CODE (RFC 8656 §18.13): two
// leading bytes the attribute interprets, the class (3 bits), the number (0..99) and a reason of
// fewer than 128 characters.
struct ErrorCodeBody {
    uint16_t code = 0;
    std::string_view reason;
};
std::optional<ErrorCodeBody> parse_error_code_body(std::span<const uint8_t> value);
bool serialize_error_code_body(util::ByteWriter &w, uint8_t first_byte, uint16_t code,
                               std::string_view reason);

template <uint16_t Type, std::size_t MaxBytes, std::size_t MaxChars>
bool TextAttribute<Type, MaxBytes, MaxChars>::valid(std::string_view text) {
    return text_within_limits(text, MaxBytes, MaxChars);
}

// RFC 8489 §14.3 says fewer than 509 bytes; RFC 5389 §15.3 allowed fewer than 513, which is what
// is accepted here so older peers interoperate.
using Username = TextAttribute<attr::kUsername, 512, 512>;
// RFC 8489 §14.9, §14.10, §14.14: fewer than 128 characters, at most 763 bytes.
using Realm = TextAttribute<attr::kRealm, 763, 127>;
using Nonce = TextAttribute<attr::kNonce, 763, 127>;
using Software = TextAttribute<attr::kSoftware, 763, 127>;
// RFC 8489 §14.16: a domain name, fewer than 256 bytes.
using AlternateDomain = TextAttribute<attr::kAlternateDomain, 255, 255>;

// RFC 8489 §14.4: SHA-256 over username and realm (see credentials.hpp), exactly 32 bytes.
struct Userhash {
    static constexpr uint16_t kType = attr::kUserhash;
    std::array<uint8_t, 32> hash{};
    static std::optional<Userhash> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const Userhash &) const = default;
};

// RFC 8489 §14.5: 20-byte HMAC-SHA1. To add a correct one, use
// MessageBuilder::add_message_integrity; this type carries a value as found or given.
struct MessageIntegrity {
    static constexpr uint16_t kType = attr::kMessageIntegrity;
    std::array<uint8_t, 20> hmac{};
    static std::optional<MessageIntegrity> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const MessageIntegrity &) const = default;
};

// RFC 8489 §14.6: HMAC-SHA256, possibly truncated to 16..32 bytes (a multiple of 4).
struct MessageIntegritySha256 {
    static constexpr uint16_t kType = attr::kMessageIntegritySha256;
    std::array<uint8_t, 32> hmac{};
    std::size_t length = 32;
    static std::optional<MessageIntegritySha256> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const MessageIntegritySha256 &) const = default;
};

// RFC 8489 §14.7: CRC-32 of the message before it, XOR 0x5354554E. Add a correct one with
// MessageBuilder::add_fingerprint.
struct Fingerprint {
    static constexpr uint16_t kType = attr::kFingerprint;
    uint32_t crc = 0;
    static std::optional<Fingerprint> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const Fingerprint &) const = default;
};

// RFC 8489 §14.8. Codes 300..699; reason fewer than 128 characters (763 bytes).
struct ErrorCode {
    static constexpr uint16_t kType = attr::kErrorCode;
    uint16_t code = 0;
    std::string_view reason;
    static std::optional<ErrorCode> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const ErrorCode &) const = default;
};

// Error codes of RFC 8489 §14.8, RFC 8656 §19 and RFC 6062 §6.3, and RFC 8445 §7.3.1.1.
namespace error_code {
inline constexpr uint16_t kTryAlternate = 300;
inline constexpr uint16_t kBadRequest = 400;
inline constexpr uint16_t kUnauthorized = 401;
inline constexpr uint16_t kForbidden = 403;
inline constexpr uint16_t kMobilityForbidden = 405;
inline constexpr uint16_t kUnknownAttribute = 420;
inline constexpr uint16_t kAllocationMismatch = 437;
inline constexpr uint16_t kStaleNonce = 438;
inline constexpr uint16_t kAddressFamilyNotSupported = 440;
inline constexpr uint16_t kWrongCredentials = 441;
inline constexpr uint16_t kUnsupportedTransportProtocol = 442;
inline constexpr uint16_t kPeerAddressFamilyMismatch = 443;
inline constexpr uint16_t kConnectionAlreadyExists = 446;
inline constexpr uint16_t kConnectionTimeoutOrFailure = 447;
inline constexpr uint16_t kAllocationQuotaReached = 486;
inline constexpr uint16_t kRoleConflict = 487;
inline constexpr uint16_t kServerError = 500;
inline constexpr uint16_t kInsufficientCapacity = 508;
} // namespace error_code

// The reason phrase the RFCs suggest for a code ("Bad Request"), or "Error" for others.
std::string_view default_reason(uint16_t code);

// RFC 8489 §14.13: the comprehension-required types a server did not understand. Up to
// kMaxTypes are kept; a longer list parses to its first kMaxTypes entries.
struct UnknownAttributes {
    static constexpr uint16_t kType = attr::kUnknownAttributes;
    static constexpr std::size_t kMaxTypes = 32;
    std::array<uint16_t, kMaxTypes> types{};
    std::size_t count = 0;

    bool add(uint16_t type) {
        if (count == kMaxTypes)
            return false;
        types[count++] = type;
        return true;
    }
    std::span<const uint16_t> list() const { return std::span(types).first(count); }
    static std::optional<UnknownAttributes> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const UnknownAttributes &other) const;
};

// RFC 8489 §18.5: password algorithm numbers.
inline constexpr uint16_t kPasswordAlgorithmMd5 = 0x0001;
inline constexpr uint16_t kPasswordAlgorithmSha256 = 0x0002;

// RFC 8489 §14.12: algorithm, parameter length, parameters (padded to 4 bytes).
struct PasswordAlgorithm {
    static constexpr uint16_t kType = attr::kPasswordAlgorithm;
    uint16_t algorithm = 0;
    std::span<const uint8_t> parameters;
    static std::optional<PasswordAlgorithm> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const PasswordAlgorithm &other) const;
};

// RFC 8489 §14.11: a list of the above. Up to kMaxAlgorithms entries (two are registered);
// a longer list does not parse.
struct PasswordAlgorithms {
    static constexpr uint16_t kType = attr::kPasswordAlgorithms;
    static constexpr std::size_t kMaxAlgorithms = 8;
    std::array<PasswordAlgorithm, kMaxAlgorithms> algorithms{};
    std::size_t count = 0;

    bool add(const PasswordAlgorithm &a) {
        if (count == kMaxAlgorithms)
            return false;
        algorithms[count++] = a;
        return true;
    }
    std::span<const PasswordAlgorithm> list() const { return std::span(algorithms).first(count); }
    static std::optional<PasswordAlgorithms> parse(std::span<const uint8_t> value);
    bool serialize(util::ByteWriter &w) const;
    bool operator==(const PasswordAlgorithms &other) const;
};

} // namespace rtc::stun
