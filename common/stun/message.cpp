#include "stun/message.hpp"

#include "crypto/constant_time.hpp"
#include "stun/integrity.hpp"
#include "util/bytes.hpp"

namespace rtc::stun {

using util::load_u16;
using util::load_u32;

std::string_view to_string(Method method) {
    switch (method) {
    case Method::Binding:
        return "Binding";
    case Method::Allocate:
        return "Allocate";
    case Method::Refresh:
        return "Refresh";
    case Method::Send:
        return "Send";
    case Method::Data:
        return "Data";
    case Method::CreatePermission:
        return "CreatePermission";
    case Method::ChannelBind:
        return "ChannelBind";
    case Method::Connect:
        return "Connect";
    case Method::ConnectionBind:
        return "ConnectionBind";
    case Method::ConnectionAttempt:
        return "ConnectionAttempt";
    }
    return "Unknown";
}

std::string_view to_string(MessageClass cls) {
    switch (cls) {
    case MessageClass::Request:
        return "request";
    case MessageClass::Indication:
        return "indication";
    case MessageClass::SuccessResponse:
        return "success_response";
    case MessageClass::ErrorResponse:
        return "error_response";
    }
    return "unknown";
}

std::string_view to_string(ParseError error) {
    switch (error) {
    case ParseError::NotStun:
        return "not_stun";
    case ParseError::BadLength:
        return "bad_length";
    case ParseError::BadAttribute:
        return "bad_attribute";
    case ParseError::MisplacedFingerprint:
        return "misplaced_fingerprint";
    case ParseError::BadFingerprint:
        return "bad_fingerprint";
    }
    return "unknown";
}

namespace {
constexpr std::size_t padded(std::size_t n) {
    return (n + 3) & ~std::size_t{3};
}
} // namespace

std::optional<MessageView> MessageView::parse(std::span<const uint8_t> bytes, ParseError *error) {
    auto fail = [error](ParseError e) -> std::optional<MessageView> {
        if (error)
            *error = e;
        return std::nullopt;
    };
    // RFC 8489 §5: the two most significant bits are zero; §6.3: the length must be sensible.
    if (bytes.size() < kHeaderSize || (bytes[0] & 0xC0) != 0)
        return fail(ParseError::NotStun);
    std::size_t length = load_u16(bytes.data() + 2);
    if (length % 4 != 0 || kHeaderSize + length != bytes.size())
        return fail(ParseError::BadLength);

    MessageView m;
    m.bytes_ = bytes;
    m.type_ = load_u16(bytes.data());
    const std::size_t size = bytes.size();
    std::size_t pos = kHeaderSize;
    while (pos < size) {
        // pos and size are multiples of 4 here, so a 4-byte attribute header always fits.
        uint16_t type = load_u16(bytes.data() + pos);
        std::size_t value_length = load_u16(bytes.data() + pos + 2);
        std::size_t next = pos + kAttributeHeaderSize + padded(value_length);
        if (next > size)
            return fail(ParseError::BadAttribute);
        // RFC 8489 §14.7: FINGERPRINT is the last attribute.
        if (m.fingerprint_at_ != kNone)
            return fail(ParseError::MisplacedFingerprint);
        if (type == attr::kFingerprint) {
            if (value_length != 4)
                return fail(ParseError::BadFingerprint);
            m.fingerprint_at_ = pos;
        } else if (m.first_auth_end_ == kNone) {
            if (type == attr::kMessageIntegrity || type == attr::kMessageIntegritySha256) {
                (type == attr::kMessageIntegrity ? m.integrity_at_ : m.integrity_sha256_at_) = pos;
                m.first_auth_type_ = type;
                m.first_auth_end_ = next;
            }
        } else if (type == attr::kMessageIntegritySha256 &&
                   m.first_auth_type_ == attr::kMessageIntegrity &&
                   m.integrity_sha256_at_ == kNone) {
            // RFC 8489 §14.5: MESSAGE-INTEGRITY-SHA256 may follow MESSAGE-INTEGRITY.
            m.integrity_sha256_at_ = pos;
        }
        pos = next;
    }
    if (m.fingerprint_at_ != kNone) {
        uint32_t expected = compute_fingerprint(bytes.first(m.fingerprint_at_));
        uint32_t actual = load_u32(bytes.data() + m.fingerprint_at_ + kAttributeHeaderSize);
        if (expected != actual)
            return fail(ParseError::BadFingerprint);
    }
    return m;
}

uint32_t MessageView::cookie() const {
    return load_u32(bytes_.data() + 4);
}

TransactionId MessageView::transaction_id() const {
    TransactionId id;
    for (std::size_t i = 0; i < id.size(); ++i)
        id[i] = bytes_[8 + i];
    return id;
}

bool MessageView::visible(std::size_t offset) const {
    if (first_auth_end_ == kNone || offset < first_auth_end_)
        return true;
    return offset == integrity_sha256_at_ || offset == fingerprint_at_;
}

AttributeView MessageView::Iterator::operator*() const {
    const uint8_t *p = message_->bytes_.data() + pos_;
    uint16_t length = load_u16(p + 2);
    return AttributeView{load_u16(p), message_->bytes_.subspan(pos_ + kAttributeHeaderSize, length),
                         pos_};
}

MessageView::Iterator &MessageView::Iterator::operator++() {
    uint16_t length = load_u16(message_->bytes_.data() + pos_ + 2);
    pos_ += kAttributeHeaderSize + padded(length);
    skip_ignored();
    return *this;
}

void MessageView::Iterator::skip_ignored() {
    if (message_ == nullptr)
        return;
    const auto &bytes = message_->bytes_;
    while (pos_ < bytes.size() && !message_->visible(pos_))
        pos_ += kAttributeHeaderSize + padded(load_u16(bytes.data() + pos_ + 2));
}

std::optional<AttributeView> MessageView::find(uint16_t type) const {
    for (auto a : *this)
        if (a.type == type)
            return a;
    return std::nullopt;
}

bool MessageView::verify_message_integrity(std::span<const uint8_t> key) const {
    if (integrity_at_ == kNone)
        return false;
    std::size_t value_length = load_u16(bytes_.data() + integrity_at_ + 2);
    if (value_length != crypto::Sha1Digest{}.size())
        return false;
    std::size_t end = integrity_at_ + kAttributeHeaderSize + value_length;
    auto mac = compute_message_integrity(bytes_.first(integrity_at_),
                                         static_cast<uint16_t>(end - kHeaderSize), key);
    return crypto::constant_time_equal(
        mac, bytes_.subspan(integrity_at_ + kAttributeHeaderSize, value_length));
}

bool MessageView::verify_message_integrity_sha256(std::span<const uint8_t> key) const {
    if (integrity_sha256_at_ == kNone)
        return false;
    // RFC 8489 §14.6: 16 to 32 bytes, a multiple of 4 (a truncated HMAC-SHA256).
    std::size_t value_length = load_u16(bytes_.data() + integrity_sha256_at_ + 2);
    if (value_length < 16 || value_length > 32 || value_length % 4 != 0)
        return false;
    std::size_t end = integrity_sha256_at_ + kAttributeHeaderSize + value_length;
    auto mac = compute_message_integrity_sha256(bytes_.first(integrity_sha256_at_),
                                                static_cast<uint16_t>(end - kHeaderSize), key);
    return crypto::constant_time_equal(
        std::span<const uint8_t>(mac).first(value_length),
        bytes_.subspan(integrity_sha256_at_ + kAttributeHeaderSize, value_length));
}

bool looks_like_stun(std::span<const uint8_t> bytes) {
    if (bytes.size() < kHeaderSize || (bytes[0] & 0xC0) != 0)
        return false;
    std::size_t length = load_u16(bytes.data() + 2);
    return length % 4 == 0 && kHeaderSize + length == bytes.size() &&
           load_u32(bytes.data() + 4) == kMagicCookie;
}

} // namespace rtc::stun
