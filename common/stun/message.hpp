#pragma once
// STUN message header and a zero-copy, validating view of a whole message (RFC 8489 §5, §14).
#include "stun/attribute_types.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rtc::stun {

inline constexpr uint32_t kMagicCookie = 0x2112A442; // RFC 8489 §5
inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::size_t kAttributeHeaderSize = 4;
inline constexpr uint32_t kFingerprintXor = 0x5354554E; // RFC 8489 §14.7 ("STUN")
inline constexpr std::size_t kMaxMessageSize = kHeaderSize + 0xFFFF;

// 12-bit method (RFC 8489 §18.2, RFC 8656 §17, RFC 6062 §6.1). Other values may appear on the
// wire and are preserved.
enum class Method : uint16_t {
    Binding = 0x001,
    Allocate = 0x003,
    Refresh = 0x004,
    Send = 0x006,
    Data = 0x007,
    CreatePermission = 0x008,
    ChannelBind = 0x009,
    Connect = 0x00A,
    ConnectionBind = 0x00B,
    ConnectionAttempt = 0x00C,
};

enum class MessageClass : uint8_t {
    Request = 0b00,
    Indication = 0b01,
    SuccessResponse = 0b10,
    ErrorResponse = 0b11,
};

using TransactionId = std::array<uint8_t, 12>;

// RFC 8489 §5: the class bits C1 C0 sit at bits 8 and 4 of the 14-bit type, the method bits
// M11..M0 fill the rest (M0-M3 at 0-3, M4-M6 at 5-7, M7-M11 at 9-13).
constexpr uint16_t message_type(Method method, MessageClass cls) {
    auto m = static_cast<uint16_t>(method);
    auto c = static_cast<uint16_t>(cls);
    return static_cast<uint16_t>((m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) |
                                 ((c & 0x1) << 4) | ((c & 0x2) << 7));
}
constexpr Method method_of(uint16_t type) {
    return static_cast<Method>((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
}
constexpr MessageClass class_of(uint16_t type) {
    return static_cast<MessageClass>(((type >> 4) & 0x1) | ((type >> 7) & 0x2));
}

std::string_view to_string(Method method); // "Binding", ..., "Unknown"
std::string_view to_string(MessageClass cls);

// Why a datagram is not an acceptable STUN message. to_string gives a snake_case label usable
// as a Prometheus label value.
enum class ParseError : uint8_t {
    NotStun,              // shorter than a header, or the top two bits are not zero
    BadLength,            // length not a multiple of 4, or header + length != datagram size
    BadAttribute,         // an attribute TLV (with its padding) overruns the message
    MisplacedFingerprint, // FINGERPRINT is not the last attribute, or its length is not 4
    BadFingerprint,       // FINGERPRINT present but the CRC does not match
};
std::string_view to_string(ParseError error);

// One attribute as found in a message. `value` excludes padding; `offset` is where its 4-byte
// header starts, counted from the start of the message.
struct AttributeView {
    uint16_t type = 0;
    std::span<const uint8_t> value;
    std::size_t offset = 0;
};

class MessageView {
public:
    // Validates the header and the attribute layout (and FINGERPRINT when present) without
    // copying. The view refers to `bytes`, which must outlive it. Messages without the magic
    // cookie are accepted as RFC 3489 ("classic") messages: see is_classic().
    static std::optional<MessageView> parse(std::span<const uint8_t> bytes,
                                            ParseError *error = nullptr);

    uint16_t type() const { return type_; }
    Method method() const { return method_of(type_); }
    MessageClass message_class() const { return class_of(type_); }
    bool is_request() const { return message_class() == MessageClass::Request; }
    // The 32-bit field after the length: kMagicCookie, or part of a classic 128-bit id.
    uint32_t cookie() const;
    bool is_classic() const { return cookie() != kMagicCookie; }
    TransactionId transaction_id() const;
    std::span<const uint8_t> bytes() const { return bytes_; }
    std::size_t size() const { return bytes_.size(); }

    // Iteration over the attributes that count: after MESSAGE-INTEGRITY only
    // MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are visited, after MESSAGE-INTEGRITY-SHA256 only
    // FINGERPRINT (RFC 8489 §14.5, §14.6); the others are ignored.
    class Iterator {
    public:
        using value_type = AttributeView;
        using difference_type = std::ptrdiff_t;
        Iterator() = default;
        AttributeView operator*() const;
        Iterator &operator++();
        Iterator operator++(int) {
            auto copy = *this;
            ++*this;
            return copy;
        }
        bool operator==(const Iterator &other) const { return pos_ == other.pos_; }

    private:
        friend class MessageView;
        Iterator(const MessageView *message, std::size_t pos) : message_(message), pos_(pos) {
            skip_ignored();
        }
        void skip_ignored();
        const MessageView *message_ = nullptr;
        std::size_t pos_ = 0;
    };
    Iterator begin() const { return Iterator(this, kHeaderSize); }
    Iterator end() const { return Iterator(this, bytes_.size()); }

    // The first visible attribute of this type.
    std::optional<AttributeView> find(uint16_t type) const;
    bool has(uint16_t type) const { return find(type).has_value(); }

    // Finds and decodes an attribute type from attributes.hpp (A::kType, A::parse). nullopt when
    // absent or malformed; use has(A::kType) to tell the two apart.
    template <class A> std::optional<A> get() const {
        auto a = find(A::kType);
        if (!a)
            return std::nullopt;
        if constexpr (requires { A::parse(a->value, TransactionId{}); })
            return A::parse(a->value, transaction_id());
        else
            return A::parse(a->value);
    }

    // Comprehension-required attribute types (RFC 8489 §14) that `is_known(type)` rejects,
    // each listed once. Fills `out` (at most out.size() entries) and returns how many it wrote.
    template <class Known>
    std::size_t unknown_comprehension_required(Known &&is_known, std::span<uint16_t> out) const {
        std::size_t n = 0;
        for (auto a : *this) {
            if (!attr::is_comprehension_required(a.type) || is_known(a.type))
                continue;
            bool seen = false;
            for (std::size_t i = 0; i < n; ++i)
                seen = seen || out[i] == a.type;
            if (!seen && n < out.size())
                out[n++] = a.type;
        }
        return n;
    }
    std::size_t unknown_comprehension_required(std::span<uint16_t> out) const {
        return unknown_comprehension_required(attr::is_known, out);
    }

    // MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1 with `key` over the message up to the
    // attribute, the length field adjusted to end after it. False when absent.
    bool has_message_integrity() const { return integrity_at_ != kNone; }
    bool verify_message_integrity(std::span<const uint8_t> key) const;
    // MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6), possibly truncated to 16..32 bytes.
    bool has_message_integrity_sha256() const { return integrity_sha256_at_ != kNone; }
    bool verify_message_integrity_sha256(std::span<const uint8_t> key) const;
    // FINGERPRINT was present (and, since parse succeeded, correct).
    bool has_fingerprint() const { return fingerprint_at_ != kNone; }

private:
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    bool visible(std::size_t offset) const;

    std::span<const uint8_t> bytes_;
    uint16_t type_ = 0;
    std::size_t integrity_at_ = kNone;
    std::size_t integrity_sha256_at_ = kNone;
    std::size_t fingerprint_at_ = kNone;
    std::size_t first_auth_end_ = kNone; // end of the first MI / MI-SHA256 TLV
    uint16_t first_auth_type_ = 0;
};

// Quick demultiplexing check (RFC 7983 / RFC 8489 §5): the first byte is 0..3, at least a header
// is present, the length is plausible and the cookie is the magic one. No attribute walk.
bool looks_like_stun(std::span<const uint8_t> bytes);

} // namespace rtc::stun
